#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module: amazon.aws and community.aws have none that
# describes instance types or reads the Spot price history, and what
# provisioning reads before its first change (the AMI, an existing network,
# the instance types) costs one module start here instead of six
# (ec2_ami_info, ec2_vpc_net_info, two ec2_vpc_subnet_info,
# ec2_vpc_route_table_info: docs/benchmarks.md).

DOCUMENTATION = r"""
module: ec2_preflight_info
short_description: What provisioning checks before its first change, read in one call
description:
  - Describes the given instance types (C(DescribeInstanceTypes)), which exist
    in the region and their CPU architectures.
  - Reads the Spot price history (C(DescribeSpotPriceHistory), Linux/UNIX)
    of the last O(price_history_days) days for the existing ones, in one
    Availability Zone or the whole region, and returns its minimum, median and
    maximum per type.
  - With O(ami), describes the AMIs it names, like M(amazon.aws.ec2_ami_info)
    (newest last); an AMI ID that does not exist gives no image, not an error.
  - With O(network), finds the VPC, the public and private subnets in it and
    the private route table, like M(amazon.aws.ec2_vpc_net_info),
    M(amazon.aws.ec2_vpc_subnet_info) and M(amazon.aws.ec2_vpc_route_table_info).
    The route table is looked up only when exactly one VPC and one subnet of
    each kind matched.
  - Reads the account's ID (C(GetCallerIdentity)), for the ARNs a policy names.
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
  ami:
    description: The AMIs to describe (any of the three keys).
    type: dict
    suboptions:
      image_ids: {description: AMI IDs., type: list, elements: str, default: []}
      owners: {description: Owner account IDs or aliases., type: list, elements: str, default: []}
      filters: {description: DescribeImages filters., type: dict, default: {}}
  network:
    description: The existing network to find.
    type: dict
    suboptions:
      vpc_filters: {description: Filters that match the VPC., type: dict, required: true}
      public_subnet_filters: {description: Filters that match the public subnet in it., type: dict, required: true}
      private_subnet_filters: {description: Filters that match the private subnet in it., type: dict, required: true}
      route_table_filters:
        description: Filters that match the private route table; empty = the table associated with the private subnet.
        type: dict
        default: {}
  key_names:
    description: EC2 key pairs that must exist in the region; those that do not are returned in RV(missing_key_names).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check the instance types, their Spot prices, the AMI and the network
  ec2_preflight_info:
    instance_types: [t4g.micro, t4g.medium]
    ami: {owners: ["136693071363"], filters: {name: debian-13-arm64-*, state: available}}
    network:
      vpc_filters: {"tag:Name": itsupport-vpc}
      public_subnet_filters: {"tag:Name": itsupport-public}
      private_subnet_filters: {"tag:Name": itsupport-private}
  register: preflight
"""

RETURN = r"""
missing_key_names:
  description: The O(key_names) that are not key pairs in the region.
  returned: always
  type: list
  elements: str
account_id:
  description: The AWS account the credentials belong to.
  returned: always
  type: str
  sample: "123456789012"
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
images:
  description: The AMIs found (snake_case, tags as a dict), oldest first; empty without O(ami).
  returned: always
  type: list
  elements: dict
vpcs:
  description: The VPCs O(network.vpc_filters) matched; empty without O(network).
  returned: always
  type: list
  elements: dict
subnets:
  description: The subnets each filter matched in the first VPC found.
  returned: always
  type: dict
  sample: {public: [{subnet_id: subnet-0a1b, cidr_block: 10.20.1.0/24}], private: []}
route_tables:
  description: The private route tables found (each with C(route_table_id) and C(routes)).
  returned: always
  type: list
  elements: dict
routed_subnets:
  description: The subnets associated with the private route table (the NAT may forward their CIDRs).
  returned: always
  type: list
  elements: dict
  sample: [{subnet_id: subnet-0a1b, cidr_block: 10.20.2.0/24, availability_zone: ap-northeast-2a}]
"""

import datetime
import statistics

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list


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


def described(items):
    """snake_case dicts with their tags as a dict, as the amazon.aws *_info modules return them."""
    out = []
    for item in items:
        tags = item.get("Tags", [])
        d = camel_dict_to_snake_dict(item)
        d["tags"] = boto3_tag_list_to_ansible_dict(tags)
        out.append(d)
    return out


def images(client, ami):
    """DescribeImages as ec2_ami_info asks it: account owners as a filter
    (faster than Owners), `self` as Owners; oldest first."""
    filters = dict(ami["filters"] or {})
    kwargs = {}
    for owner in ami["owners"] or []:
        if owner == "self":
            kwargs["Owners"] = ["self"]
        else:
            filters.setdefault("owner-id" if owner.isdigit() else "owner-alias", []).append(owner)
    if ami["image_ids"]:
        kwargs["ImageIds"] = list(ami["image_ids"])
    if filters:
        kwargs["Filters"] = ansible_dict_to_boto3_filter_list(filters)
    try:
        found = described(client.describe_images(**kwargs)["Images"])
    except botocore.exceptions.ClientError as e:
        # An AMI ID that does not exist (or is malformed) is "no AMI found",
        # which the role reports naming the variable.
        if not e.response["Error"]["Code"].startswith("InvalidAMIID."):
            raise
        found = []
    found.sort(key=lambda i: i.get("creation_date", ""))
    return found


def paged(client, operation, key, filters):
    out = []
    for page in client.get_paginator(operation).paginate(Filters=ansible_dict_to_boto3_filter_list(filters)):
        out.extend(page[key])
    return described(out)


def network(client, net):
    vpcs = paged(client, "describe_vpcs", "Vpcs", net["vpc_filters"])
    subnets = {"public": [], "private": []}
    if vpcs:
        for kind in subnets:
            filters = dict(net[kind + "_subnet_filters"], **{"vpc-id": vpcs[0]["vpc_id"]})
            subnets[kind] = paged(client, "describe_subnets", "Subnets", filters)
    route_tables, routed = [], []
    if len(vpcs) == 1 and len(subnets["public"]) == 1 and len(subnets["private"]) == 1:
        filters = net["route_table_filters"] or {"association.subnet-id": subnets["private"][0]["subnet_id"]}
        route_tables = paged(client, "describe_route_tables", "RouteTables", filters)
        # Every subnet whose traffic the private route table carries: the
        # ones the NAT may forward (the dev host's, and other zones').
        ids = sorted({a["subnet_id"] for t in route_tables for a in t.get("associations", []) if a.get("subnet_id")})
        if ids:
            routed = paged(client, "describe_subnets", "Subnets", {"subnet-id": ids})
    return vpcs, subnets, route_tables, routed


def missing_key_names(client, names):
    """The names that are not key pairs in the region."""
    if not names:
        return []
    found = {k["KeyName"] for k in client.describe_key_pairs(Filters=[{"Name": "key-name", "Values": list(names)}])["KeyPairs"]}
    return sorted(set(names) - found)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_types=dict(type="list", elements="str", required=True),
            availability_zone=dict(type="str", default=""),
            price_history_days=dict(type="int", default=7),
            ami=dict(type="dict", options=dict(
                image_ids=dict(type="list", elements="str", default=[]),
                owners=dict(type="list", elements="str", default=[]),
                filters=dict(type="dict", default={}),
            )),
            key_names=dict(type="list", elements="str", default=[], no_log=False),
            network=dict(type="dict", options=dict(
                vpc_filters=dict(type="dict", required=True),
                public_subnet_filters=dict(type="dict", required=True),
                private_subnet_filters=dict(type="dict", required=True),
                route_table_filters=dict(type="dict", default={}),
            )),
        ),
        supports_check_mode=True,
    )
    client = module.client("ec2")
    names = sorted(set(module.params["instance_types"]))
    found_images, vpcs, subnets, route_tables, routed = [], [], {"public": [], "private": []}, [], []
    try:
        if module.params["ami"]:
            found_images = images(client, module.params["ami"])
        if module.params["network"]:
            vpcs, subnets, route_tables, routed = network(client, module.params["network"])
        account_id = module.client("sts").get_caller_identity()["Account"]
        missing_keys = missing_key_names(client, module.params["key_names"])
        found, unknown = existing_types(client, names)
        result = {}
        for name, desc in found.items():
            result[name] = {
                "architectures": desc.get("ProcessorInfo", {}).get("SupportedArchitectures", []),
                "spot_price": spot_prices(client, name, module.params["availability_zone"],
                                          module.params["price_history_days"]),
            }
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Could not read the AMI, the network, the instance types, their Spot prices or the account ID")
    module.exit_json(changed=False, account_id=account_id, missing_key_names=missing_keys, instance_types=result, unknown=sorted(unknown), images=found_images,
                     vpcs=vpcs, subnets=subnets, route_tables=route_tables, routed_subnets=routed)


if __name__ == "__main__":
    main()
