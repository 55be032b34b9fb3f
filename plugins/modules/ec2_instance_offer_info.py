#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module: amazon.aws and community.aws have none that
# describes instance types or reads the Spot price history.

DOCUMENTATION = r"""
module: ec2_instance_offer_info
short_description: Whether EC2 instance types exist, and their recent Spot prices
description:
  - Describes the given instance types (C(DescribeInstanceTypes)), which exist
    in the region and their CPU architectures.
  - Reads the Spot price history (C(DescribeSpotPriceHistory), Linux/UNIX)
    of the last O(price_history_days) days for the existing ones, in one
    Availability Zone or the whole region, and returns its minimum, median and
    maximum per type.
  - Read-only; supports check mode.
options:
  instance_types:
    description: Instance types to look up, e.g. C(t4g.medium).
    type: list
    elements: str
    required: true
  availability_zone:
    description: Only this zone's Spot prices; empty = every zone of the region.
    type: str
    default: ""
  price_history_days:
    description: How many days of Spot price history to read.
    type: int
    default: 7
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check the instance types and their Spot prices
  ec2_instance_offer_info:
    instance_types: [t4g.micro, t4g.medium]
  register: offers
"""

RETURN = r"""
unknown:
  description: The requested instance types that do not exist in the region.
  returned: always
  type: list
  elements: str
instance_types:
  description: Per existing instance type, its architectures and Spot prices (USD per hour).
  returned: always
  type: dict
  sample:
    t4g.medium:
      architectures: [arm64]
      spot_price: {min: 0.0101, median: 0.0112, max: 0.0135, samples: 42}
"""

import datetime
import statistics

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def existing_types(client, names):
    """(found, unknown): found maps each existing type to its description.
    DescribeInstanceTypes fails for the whole call when one name is unknown,
    so the names are asked one at a time after a failed batch."""
    try:
        found = client.describe_instance_types(InstanceTypes=names)["InstanceTypes"]
        return {t["InstanceType"]: t for t in found}, []
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] not in ("InvalidInstanceType", "InvalidParameterValue"):
            raise
    found, unknown = {}, []
    for name in names:
        try:
            found[name] = client.describe_instance_types(InstanceTypes=[name])["InstanceTypes"][0]
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] not in ("InvalidInstanceType", "InvalidParameterValue"):
                raise
            unknown.append(name)
    return found, unknown


def spot_prices(client, name, zone, days):
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
    kwargs = {"InstanceTypes": [name], "ProductDescriptions": ["Linux/UNIX", "Linux/UNIX (Amazon VPC)"],
              "StartTime": start}
    if zone:
        kwargs["AvailabilityZone"] = zone
    prices = []
    for page in client.get_paginator("describe_spot_price_history").paginate(**kwargs):
        prices.extend(float(p["SpotPrice"]) for p in page["SpotPriceHistory"])
    if not prices:
        return None
    return {"min": min(prices), "median": statistics.median(prices), "max": max(prices), "samples": len(prices)}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_types=dict(type="list", elements="str", required=True),
            availability_zone=dict(type="str", default=""),
            price_history_days=dict(type="int", default=7),
        ),
        supports_check_mode=True,
    )
    client = module.client("ec2")
    names = sorted(set(module.params["instance_types"]))
    try:
        found, unknown = existing_types(client, names)
        result = {}
        for name, desc in found.items():
            result[name] = {
                "architectures": desc.get("ProcessorInfo", {}).get("SupportedArchitectures", []),
                "spot_price": spot_prices(client, name, module.params["availability_zone"],
                                          module.params["price_history_days"]),
            }
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Could not read the instance types or their Spot prices")
    module.exit_json(changed=False, instance_types=result, unknown=sorted(unknown))


if __name__ == "__main__":
    main()
