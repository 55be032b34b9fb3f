#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module (the cost guard, role cost_guard): no maintained
# module prices resources. Read-only.
DOCUMENTATION = r"""
module: aws_cost_model
short_description: Price the project's live AWS resources for a 730-hour month, and find waste
description:
  - Reads the resources that carry every tag in O(tags) (instances with type,
    market and credit mode, their volumes, snapshots, Elastic IPs and public
    IPv4 addresses, Spot requests), the backup bucket's size and, if given,
    the ECS services of a cluster (split over each service's capacity
    provider strategy, Container Insights when on), the load balancers
    (hours, assumed LCUs, one public IPv4 per zone), the log groups (stored
    bytes, assumed ingestion) and the RDS instances (Multi-AZ doubled,
    assumed backups beyond the free allowance), and prices each for a
    730-hour month.
  - Spot prices are the median of the Spot price history of the last
    O(spot_days) days in the instance's Availability Zone (Linux/UNIX).
    Other prices come from the AWS Price List API when O(price_source=api),
    falling back to the project's dated price table (the output names the
    source of every price).
  - Also returns waste findings, each with its monthly cost. Never changes
    anything; works the same in check mode.
options:
  tags:
    description: Tags every resource of the project carries (Project, Environment).
    type: dict
    required: true
  bucket:
    description: The backup bucket, whose stored bytes are priced. Empty to skip.
    type: str
    default: ""
  ecs_cluster:
    description: ECS cluster whose services are priced (Fargate ARM64), if it exists. Empty to skip.
    type: str
    default: ""
  rds_instances:
    description: RDS instance identifiers priced (instance hours and storage, doubled for Multi-AZ) when they exist.
    type: list
    elements: str
    default: []
  needs_public_ip:
    description: Name tags of the instances that need a public IPv4 address (the NAT).
    type: list
    elements: str
    default: []
  price_source:
    description: C(api) (the Price List API, the table when it fails) or C(table).
    type: str
    choices: [api, table]
    default: api
  spot_days:
    description: Days of Spot price history whose median prices a Spot instance.
    type: int
    default: 7
  snapshot_retention_days:
    description: Snapshots older than this are reported as waste.
    type: int
    default: 14
  budget:
    description: The monthly budget in USD the total is compared with.
    type: float
    required: true
  load_balancers:
    description: Load balancers priced when they exist (hours, LCUs as assumed, one public IPv4 per zone).
    type: list
    elements: str
    default: []
  log_group_prefix:
    description: Log groups priced by this name prefix (their stored bytes, and the assumed ingestion). Empty to skip.
    type: str
    default: ""
  assumptions:
    description: The figures no API gives a month ahead, as the estimate states them (cost_guard_assumed_*).
    type: dict
    default: {}
    suboptions:
      alb_lcus:
        description: Average load balancer capacity units.
        type: float
        default: 1
      log_gb_per_month:
        description: GB of logs ingested a month.
        type: float
        default: 5
      rds_backup_extra_gb:
        description: GB of automated backups beyond the free allowance, per priced RDS instance.
        type: float
        default: 0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""
EXAMPLES = r"""
- name: Price the environment
  aws_cost_model:
    region: ap-northeast-2
    tags: {Project: itsupport, Environment: dev}
    bucket: itsupport-dev-db-backups
    needs_public_ip: [itsupport-dev-nat]
    budget: 150
  register: cost
"""
RETURN = r"""
rows:
  description: One row per priced item (resource, name, kind, detail, quantity, unit_price, unit, monthly, source, key).
  returned: always
  type: list
  elements: dict
total:
  description: The monthly total in USD (a string with two decimals).
  returned: always
  type: str
share_percent:
  description: The total as a percentage of O(budget).
  returned: always
  type: float
findings:
  description: Waste findings (resource, finding, monthly).
  returned: always
  type: list
  elements: dict
missing:
  description: Items that could not be priced (no price in any source).
  returned: always
  type: list
  elements: str
markdown:
  description: The rows as a Markdown table with the total and the budget share.
  returned: always
  type: str
"""

import datetime
from decimal import Decimal

try:
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible.module_utils.itsupport_cost import (INSIGHTS_METRICS_CLUSTER, INSIGHTS_METRICS_SERVICE, TABLE_DATE, median,
                                                 model, model_markdown, price_from_price_list, price_key, table_price,
                                                 waste)
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Price List API filters per price key (the table's keys).
PRICE_QUERIES = {
    "ondemand": lambda t, region: ("AmazonEC2", {"instanceType": t, "regionCode": region, "operatingSystem": "Linux",
                                                 "tenancy": "Shared", "preInstalledSw": "NA",
                                                 "capacitystatus": "Used"}),
    "ebs": lambda t, region: ("AmazonEC2", {"productFamily": "Storage", "volumeApiName": t, "regionCode": region}),
    "snapshot": lambda _, region: ("AmazonEC2", {"productFamily": "Storage Snapshot", "regionCode": region,
                                                 "storageMedia": "Amazon S3"}),
    "ipv4": lambda _, region: ("AmazonVPC", {"group": "VPCPublicIPv4Address", "regionCode": region}),
    "s3": lambda _, region: ("AmazonS3", {"regionCode": region, "volumeType": "Standard",
                                          "storageClass": "General Purpose"}),
}


def tag_filters(tags):
    return [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]


def name_of(obj):
    return next((t["Value"] for t in obj.get("Tags", []) if t["Key"] == "Name"), "")


def read_resources(module, ec2, now):
    tags = module.params["tags"]
    assumed = {k: Decimal(str(v)) for k, v in module.params["assumptions"].items()}
    resources, instance_ids = [], []
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=tag_filters(tags) + [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
    instances = [i for page in pages for r in page["Reservations"] for i in r["Instances"]]
    # Credit modes exist for burstable (T) instances only; one at a time when
    # the batch is refused, so one odd instance does not hide the others'.
    credits = {}
    burstable = [i["InstanceId"] for i in instances if i["InstanceType"].startswith("t")]
    for batch in ([burstable] if burstable else []):
        try:
            answers = ec2.describe_instance_credit_specifications(InstanceIds=batch)["InstanceCreditSpecifications"]
        except botocore.exceptions.ClientError:
            answers = []
            for iid in batch:
                try:
                    answers += ec2.describe_instance_credit_specifications(
                        InstanceIds=[iid])["InstanceCreditSpecifications"]
                except botocore.exceptions.ClientError:
                    pass
        for c in answers:
            credits[c["InstanceId"]] = c["CpuCredits"]
    for i in instances:
        iid = i["InstanceId"]
        instance_ids.append(iid)
        resources.append({"kind": "instance", "id": iid, "name": name_of(i), "type": i["InstanceType"],
                          "state": i["State"]["Name"], "lifecycle": i.get("InstanceLifecycle", "on-demand"),
                          "az": i["Placement"]["AvailabilityZone"], "credits": credits.get(iid, "?")})
    addresses = ec2.describe_addresses(Filters=tag_filters(tags))["Addresses"]
    eip_ips = set()
    names = {r["id"]: r["name"] for r in resources}
    eni_owner = {eni["NetworkInterfaceId"]: i["InstanceId"] for i in instances for eni in i.get("NetworkInterfaces", [])}
    for a in addresses:
        eip_ips.add(a["PublicIp"])
        owner = a.get("InstanceId") or eni_owner.get(a.get("NetworkInterfaceId"), a.get("NetworkInterfaceId"))
        if owner:
            resources.append({"kind": "ipv4", "id": a.get("AllocationId", a["PublicIp"]), "name": name_of(a),
                              "address": a["PublicIp"], "use": f"public IP of {names.get(owner, owner)} (Elastic IP)",
                              "needed": names.get(owner) in module.params["needs_public_ip"]})
        else:
            resources.append({"kind": "ipv4", "id": a.get("AllocationId", a["PublicIp"]), "name": name_of(a),
                              "address": a["PublicIp"], "use": "unassociated"})
    for i in instances:
        ip = i.get("PublicIpAddress")
        if ip and ip not in eip_ips:
            resources.append({"kind": "ipv4", "id": f"{i['InstanceId']}-ipv4", "name": name_of(i), "address": ip,
                              "use": f"public IP of {name_of(i) or i['InstanceId']}",
                              "needed": name_of(i) in module.params["needs_public_ip"]})
    volumes = {}
    for flt in ([tag_filters(tags)] + ([[{"Name": "attachment.instance-id", "Values": instance_ids}]] if instance_ids else [])):
        for page in ec2.get_paginator("describe_volumes").paginate(Filters=flt):
            for v in page["Volumes"]:
                volumes[v["VolumeId"]] = v
    for v in volumes.values():
        resources.append({"kind": "volume", "id": v["VolumeId"], "name": name_of(v), "size_gb": v["Size"],
                          "volume_type": v["VolumeType"], "state": v["State"]})
    for page in ec2.get_paginator("describe_snapshots").paginate(OwnerIds=["self"], Filters=tag_filters(tags)):
        for s in page["Snapshots"]:
            resources.append({"kind": "snapshot", "id": s["SnapshotId"], "name": name_of(s), "size_gb": s["VolumeSize"],
                              "age_days": (now - s["StartTime"]).days})
    # A Spot request carries no tags of its own (ec2_instance tags the
    # instance): it is the project's when it launched one of the project's
    # instances, the terminated ones included (EC2 lists those for about an
    # hour), or when someone tagged it.
    gone = ec2.describe_instances(Filters=tag_filters(tags) + [
        {"Name": "instance-state-name", "Values": ["shutting-down", "terminated"]}])
    known = set(instance_ids) | {i["InstanceId"] for r in gone["Reservations"] for i in r["Instances"]}
    requests = [r for page in ec2.get_paginator("describe_spot_instance_requests").paginate()
                for r in page["SpotInstanceRequests"]]
    for r in requests:
        rtags = {t["Key"]: t["Value"] for t in r.get("Tags", [])}
        if r.get("InstanceId") in known or all(rtags.get(k) == v for k, v in tags.items()):
            resources.append({"kind": "spot_request", "id": r["SpotInstanceRequestId"], "name": name_of(r),
                              "state": r["State"],
                              "instance": r.get("InstanceId") if r.get("InstanceId") in instance_ids else None})
    if module.params["bucket"]:
        s3 = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
        size = count = 0
        try:
            # Every version is billed (the backup bucket is versioned).
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=module.params["bucket"]):
                for o in page.get("Versions", []):
                    size += o["Size"]
                    count += 1
            resources.append({"kind": "bucket", "id": module.params["bucket"], "name": "", "bytes": size,
                              "objects": count})
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") != "NoSuchBucket":
                raise  # not made (yet): nothing to price
    if module.params["ecs_cluster"]:
        ecs = module.client("ecs", retry_decorator=AWSRetry.jittered_backoff())
        try:
            arns = ecs.list_services(cluster=module.params["ecs_cluster"])["serviceArns"]
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") != "ClusterNotFoundException":
                raise
            arns = []  # no production cluster (yet)
        for svc in (ecs.describe_services(cluster=module.params["ecs_cluster"], services=arns)["services"] if arns else []):
            td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
            strategy = [{"capacity_provider": s["capacityProvider"], "base": s.get("base", 0),
                         "weight": s.get("weight", 0)} for s in svc.get("capacityProviderStrategy") or []]
            resources.append({"kind": "ecs_service", "id": svc["serviceName"], "name": "", "desired": svc["desiredCount"],
                              "cpu": td.get("cpu", "0"), "memory": td.get("memory", "0"), "strategy": strategy})
        clusters = ecs.describe_clusters(clusters=[module.params["ecs_cluster"]], include=["SETTINGS"])["clusters"]
        insights = [s for c in clusters if c.get("status") == "ACTIVE" for s in c.get("settings", [])
                    if s.get("name") == "containerInsights" and s.get("value") in ("enabled", "enhanced")]
        if insights and arns:
            resources.append({"kind": "insights", "id": f"{module.params['ecs_cluster']} (Container Insights)",
                              "name": "", "metrics": INSIGHTS_METRICS_CLUSTER + INSIGHTS_METRICS_SERVICE * len(arns)})
    if module.params["load_balancers"]:
        elb = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff())
        for name in module.params["load_balancers"]:
            try:
                (lb,) = elb.describe_load_balancers(Names=[name])["LoadBalancers"]
            except botocore.exceptions.ClientError as e:
                if e.response.get("Error", {}).get("Code") != "LoadBalancerNotFound":
                    raise
                continue  # not made (yet)
            resources.append({"kind": "load_balancer", "id": name, "name": "", "lcus": assumed["alb_lcus"],
                              "azs": len(lb.get("AvailabilityZones", []))})
    if module.params["log_group_prefix"]:
        logs = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
        groups = [g for page in logs.get_paginator("describe_log_groups").paginate(
            logGroupNamePrefix=module.params["log_group_prefix"]) for g in page["logGroups"]]
        if groups:
            resources.append({"kind": "log_groups", "id": f"{module.params['log_group_prefix']}*", "name": "",
                              "groups": len(groups), "stored_bytes": sum(g.get("storedBytes", 0) for g in groups),
                              "ingest_gb": assumed["log_gb_per_month"]})
    if module.params["rds_instances"]:
        rds = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
        for ident in module.params["rds_instances"]:
            try:
                (db,) = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"]
            except botocore.exceptions.ClientError as e:
                if e.response.get("Error", {}).get("Code") != "DBInstanceNotFound":
                    raise
                continue  # not made (yet), or deleted
            resources.append({"kind": "rds_instance", "id": ident, "name": "", "class": db["DBInstanceClass"],
                              "engine": db["Engine"], "multi_az": bool(db.get("MultiAZ")),
                              "storage_type": db.get("StorageType", "gp2"), "size_gb": db["AllocatedStorage"],
                              "status": db["DBInstanceStatus"],
                              "backup_extra_gb": assumed["rds_backup_extra_gb"]})
    return resources


def spot_price(ec2, instance_type, az, days, now):
    history = ec2.describe_spot_price_history(
        InstanceTypes=[instance_type], StartTime=now - datetime.timedelta(days=days),
        Filters=[{"Name": "availability-zone", "Values": [az]}])["SpotPriceHistory"]
    prices = [h["SpotPrice"] for h in history
              if h.get("AvailabilityZone") == az and h.get("ProductDescription", "").startswith("Linux/UNIX")]
    if not prices:
        return None, f"no Spot price history for {instance_type} in {az}"
    return median(prices), f"Spot price history, median of {len(prices)} in {days} days, {az}"


def api_price(module, pricing, key, region):
    kind, _, detail = key.partition(":")
    query = PRICE_QUERIES.get(kind)
    if query is None:
        raise ValueError(f"no Price List query for {key}")
    service, filters = query(detail, region)
    answer = pricing.get_products(ServiceCode=service, MaxResults=10,
                                  Filters=[{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in filters.items()])
    price, unit, _ = price_from_price_list(answer.get("PriceList", []))
    return price, f"Price List API ({unit})"


def main():
    module = AnsibleAWSModule(
        argument_spec={
            "tags": {"type": "dict", "required": True},
            "bucket": {"type": "str", "default": ""},
            "ecs_cluster": {"type": "str", "default": ""},
            "rds_instances": {"type": "list", "elements": "str", "default": []},
            "needs_public_ip": {"type": "list", "elements": "str", "default": []},
            "price_source": {"type": "str", "choices": ["api", "table"], "default": "api"},
            "spot_days": {"type": "int", "default": 7},
            "snapshot_retention_days": {"type": "int", "default": 14},
            "budget": {"type": "float", "required": True},
            "load_balancers": {"type": "list", "elements": "str", "default": []},
            "log_group_prefix": {"type": "str", "default": ""},
            "assumptions": {"type": "dict", "default": {}, "options": {
                "alb_lcus": {"type": "float", "default": 1},
                "log_gb_per_month": {"type": "float", "default": 5},
                "rds_backup_extra_gb": {"type": "float", "default": 0}}},
        },
        supports_check_mode=True,
    )
    region = module.region
    now = datetime.datetime.now(datetime.timezone.utc)
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        resources = read_resources(module, ec2, now)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Could not read the project's resources")

    keys = set()
    for r in resources:
        if r["kind"] == "instance":
            keys.add(price_key(r))
        elif r["kind"] == "volume":
            keys.add("ebs:" + r["volume_type"])
        elif r["kind"] in ("snapshot", "ipv4"):
            keys.add(r["kind"])
        elif r["kind"] == "bucket":
            keys.add("s3:standard")
        elif r["kind"] == "ecs_service":
            keys.update(["fargate:arm64:vcpu", "fargate:arm64:gb", "fargate_spot:arm64:vcpu", "fargate_spot:arm64:gb"])
        elif r["kind"] == "load_balancer":
            keys.update(["alb:hour", "alb:lcu", "ipv4"])
        elif r["kind"] == "log_groups":
            keys.update(["logs:ingest", "logs:storage"])
        elif r["kind"] == "insights":
            keys.add("cloudwatch:metric")
        elif r["kind"] == "rds_instance":
            keys.update([f"rds:{r['engine']}:{r['class']}", f"rds:storage:{r['storage_type']}", "rds:backup"])
        if r["kind"] == "instance" and r.get("credits") == "unlimited":
            keys.add("t4g:surplus-vcpu")
    keys.update(["ipv4", "snapshot"])  # priced for the waste findings too
    prices, api_down = {}, None
    # The Price List API answers in a few regions only (us-east-1 among them).
    pricing = module.client("pricing", region="us-east-1", retry_decorator=AWSRetry.jittered_backoff()) \
        if module.params["price_source"] == "api" else None
    for key in sorted(keys):
        note = ""
        if key.startswith("spot:"):
            instance_type, _, az = key[5:].partition("@")
            try:
                price, source = spot_price(ec2, instance_type, az, module.params["spot_days"], now)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                price, source = None, f"Spot price history failed: {e}"
            if price is not None:
                prices[key] = (price, source)
                continue
        # No Price List query for these: the dated table.
        elif pricing is not None and not key.startswith(("fargate:", "fargate_spot:", "t4g:", "rds:", "alb:", "logs:",
                                                          "cloudwatch:")):
            if api_down is None:
                try:
                    prices[key] = api_price(module, pricing, key, region)
                    continue
                except ValueError as e:  # this query matched no price: this key only
                    note = f" (Price List API: {e})"
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    api_down = str(e).splitlines()[0][:120]  # unreachable or refused: stop asking
            if api_down:
                note = f" (Price List API failed: {api_down})"
        price, source = table_price(region, key)
        prices[key] = (price, source + note)

    rows, total, missing = model(resources, prices)
    findings = waste(resources, prices, module.params["snapshot_retention_days"])
    budget = Decimal(str(module.params["budget"]))
    share = float((total / budget * 100).quantize(Decimal("0.1"))) if budget else 0.0
    sources = sorted({p[1] for p in prices.values()})
    markdown = model_markdown(rows, total, budget, sources, now.date().isoformat())
    module.exit_json(
        changed=False,
        rows=[dict(r, monthly=str(r["monthly"]), quantity=str(r["quantity"])) for r in rows],
        total=str(total), share_percent=share, budget=str(budget),
        findings=[dict(f, monthly=str(f["monthly"]) if f["monthly"] is not None else "unknown") for f in findings],
        missing=missing, markdown=markdown, table_date=TABLE_DATE,
        prices={k: {"price": str(v[0]) if v[0] is not None else None, "source": v[1]} for k, v in prices.items()},
    )


if __name__ == "__main__":
    main()
