#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module: playbooks/doctor.yml's checks of the account, in
# one module run, read-only. Maintained modules cover some of the reads
# (amazon.aws.aws_caller_info, ec2_key_info...), but none reads a Service
# Quota or answers "is this bucket name free or ours" without a write, and
# one run keeps every answer, with its fix, in one table.

DOCUMENTATION = r"""
module: aws_doctor_info
short_description: Can this AWS account run what the playbooks ask? One row per check, with the fix
description:
  - Read-only (only C(Describe*), C(Get*), C(List*) and C(HeadBucket) calls);
    supports check mode; never fails on a finding, only on bad options.
  - Each row of RV(checks) has C(status) C(ok), C(fail) or C(later) (a
    resource the playbooks create that does not exist yet), a C(detail) and,
    unless C(ok), the C(fix).
  - Without working credentials only the first row is checked.
options:
  key_name: {description: The EC2 key pair the hosts take., type: str, required: true}
  ssh_public_keys:
    description: The public keys the local SSH client can use (C(ssh-add -L), C(ssh-keygen -y) of each key file).
    type: list
    elements: str
    default: []
  vpc_filters: {description: Filters that match the VPC., type: dict, required: true}
  vpc_made_later:
    description: The playbooks make the VPC (C(aws_infra_create_vpc)); none found yet is C(later), not C(fail).
    type: bool
    default: false
  subnets:
    description: Subnet filters, each expected to match O(subnets[].count) subnets in the VPC.
    type: list
    elements: dict
    default: []
    suboptions:
      label: {description: What the subnets are for., type: str, required: true}
      filters: {description: DescribeSubnets filters., type: dict, required: true}
      count: {description: How many must match., type: int, default: 1}
  ami:
    description: How provisioning finds the AMI (any of the three keys).
    type: dict
    default: {}
    suboptions:
      image_ids: {description: AMI IDs., type: list, elements: str, default: []}
      owners: {description: Owner account IDs., type: list, elements: str, default: []}
      filters: {description: DescribeImages filters., type: dict, default: {}}
      missing: {description: Why the AMI could not even be looked up (an SSM parameter that is not there)., type: str, default: ""}
  instances:
    description: The instances the playbooks run, for the vCPU quotas.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Its Name tag., type: str, required: true}
      instance_type: {description: Its type., type: str, required: true}
      market: {description: C(spot) or C(on-demand)., type: str, choices: [spot, on-demand], required: true}
  bucket: {description: The backup bucket's name., type: str, required: true}
  alerts_topic: {description: The SNS topic's name; empty = alerts off., type: str, default: ""}
  alert_emails: {description: The addresses that must be confirmed subscribers of O(alerts_topic)., type: list, elements: str, default: []}
  budget_name: {description: The budget's name; empty = not checked., type: str, default: ""}
  admin_address: {description: The admin's current public address; empty = not known., type: str, default: ""}
  admin_cidrs: {description: The ranges SSH is open to., type: list, elements: str, default: []}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author: itsupport club admins
"""

EXAMPLES = r"""
- name: Check the account
  aws_doctor_info:
    key_name: itsupport-admin
    vpc_filters: {"tag:Name": itsupport-vpc}
    subnets: [{label: dev private, filters: {"tag:Name": itsupport-private-a}}]
    instances: [{name: itsupport-dev-devhost, instance_type: t4g.medium, market: spot}]
    bucket: itsupport-dev-db-backups-123456789012
    region: ap-northeast-2
  register: doctor
"""

RETURN = r"""
account_id: {description: The account the credentials belong to (empty if they do not work)., returned: always, type: str}
checks:
  description: One row per check.
  returned: always
  type: list
  elements: dict
  sample: [{check: key pair, status: fail, detail: "itsupport-admin is not in ap-northeast-2", fix: "import it: ..."}]
"""

import ipaddress

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

# The EC2 vCPU quotas of the standard families (A, C, D, H, I, M, R, T, Z).
QUOTAS = {"on-demand": "L-1216C47A", "spot": "L-34B43A08"}
STANDARD = tuple("acdhimrtz")


def row(check, ok, detail, fix=""):
    status = ok if isinstance(ok, str) else ("ok" if ok else "fail")
    return {"check": check, "status": status, "detail": detail, "fix": "" if status == "ok" else fix}


def code(err):
    return err.response.get("Error", {}).get("Code", "") if hasattr(err, "response") else ""


def filters(d):
    return [{"Name": k, "Values": v if isinstance(v, list) else [v]} for k, v in d.items()]


class Doctor:
    def __init__(self, module):
        self.m, self.p = module, module.params
        self.region = module.region

    def client(self, name):
        return self.m.client(name)

    def region_row(self):
        regions = self.client("ec2").describe_regions(AllRegions=True)["Regions"]
        found = {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in regions}
        if self.region not in found:
            return row("region", False, f"{self.region} is not an AWS region", "set aws_region (e.g. ap-northeast-2)")
        if found[self.region] == "not-opted-in":
            return row("region", False, f"{self.region} is not enabled for this account",
                       "enable it: AWS console, Account, AWS Regions")
        return row("region", True, self.region)

    def key_row(self):
        name = self.p["key_name"]
        try:
            pairs = self.client("ec2").describe_key_pairs(KeyNames=[name], IncludePublicKey=True)["KeyPairs"]
        except botocore.exceptions.ClientError as err:
            if code(err) != "InvalidKeyPair.NotFound":
                raise
            pairs = []
        if not pairs:
            return [row("key pair", False, f"{name} is not a key pair in {self.region}",
                        f"import your public key: aws ec2 import-key-pair --region {self.region} --key-name {name} "
                        "--public-key-material fileb://~/.ssh/itsupport-admin.pub (docs/quickstart.md, step 3)"),
                    row("SSH key loaded", "later", "checked once the key pair exists", "")]
        rows = [row("key pair", True, f"{name} ({pairs[0].get('KeyType', 'rsa')}) in {self.region}")]
        public = (pairs[0].get("PublicKey") or "").split()[:2]
        loaded = [k.split()[:2] for k in self.p["ssh_public_keys"] if k.strip()]
        if not public:
            rows.append(row("SSH key loaded", "later", "the key pair's public key is not shown by EC2", ""))
        elif public in loaded:
            rows.append(row("SSH key loaded", True, f"the local SSH client has {name}'s key"))
        else:
            rows.append(row("SSH key loaded", False,
                            f"none of the {len(loaded)} keys the local SSH client can use is {name}'s",
                            "ssh-add the private key of that key pair (ssh-add ~/.ssh/itsupport-admin)"))
        return rows

    def network_rows(self):
        ec2 = self.client("ec2")
        vpcs = ec2.describe_vpcs(Filters=filters(self.p["vpc_filters"]))["Vpcs"]
        if not vpcs and self.p["vpc_made_later"]:
            return [row("VPC", "later", f"none matches {self.p['vpc_filters']} yet", "site.yml makes it")]
        if len(vpcs) != 1:
            return [row("VPC", False, f"{len(vpcs)} VPCs match {self.p['vpc_filters']} (one must)",
                        "fix aws_infra_vpc_filters, or set aws_infra_create_vpc: true to make one")]
        vpc = vpcs[0]["VpcId"]
        rows = [row("VPC", True, f"{vpc} ({vpcs[0]['CidrBlock']})")]
        for want in self.p["subnets"]:
            found = ec2.describe_subnets(Filters=filters(want["filters"]) + [{"Name": "vpc-id", "Values": [vpc]}])
            subnets = found["Subnets"]
            detail = ", ".join(f"{s['SubnetId']} {s['CidrBlock']} {s['AvailabilityZone']}" for s in subnets)
            rows.append(row(f"subnets: {want['label']}", len(subnets) == want["count"],
                            detail if len(subnets) == want["count"] else
                            f"{len(subnets)} match {want['filters']} in {vpc}, {want['count']} must",
                            "fix the filters in the inventory (inventories/aws/group_vars/all)"))
        return rows

    def ami_row(self):
        ami = self.p["ami"]
        if ami and ami.get("missing"):
            return row("arm64 AMI", False, ami["missing"], "check aws_infra_ami_ssm_parameter (or use aws_infra_ami_source: filter)")
        if not ami or not (ami["image_ids"] or ami["owners"] or ami["filters"]):
            return row("arm64 AMI", "later", "no AMI lookup given", "")
        args = {}
        if ami["image_ids"]:
            args["ImageIds"] = ami["image_ids"]
        if ami["owners"]:
            args["Owners"] = ami["owners"]
        if ami["filters"]:
            args["Filters"] = filters(ami["filters"])
        try:
            images = self.client("ec2").describe_images(**args)["Images"]
        except botocore.exceptions.ClientError as err:
            if not code(err).startswith("InvalidAMIID"):
                raise
            images = []
        arm = sorted((i for i in images if i.get("Architecture") == "arm64"), key=lambda i: i.get("CreationDate", ""))
        if not arm:
            others = sorted({i.get("Architecture", "?") for i in images})
            return row("arm64 AMI", False, f"no arm64 image matches ({len(images)} found: {', '.join(others) or 'none'})",
                       "check aws_infra_ami_owner and aws_infra_ami_name_pattern (Debian: 136693071363, "
                       "debian-13-arm64-*)")
        return row("arm64 AMI", True, f"{arm[-1]['ImageId']} {arm[-1].get('Name', '')}")

    def quota_rows(self):
        ec2 = self.client("ec2")
        wanted = self.p["instances"]
        if not wanted:
            return []
        ours = {i["name"] for i in wanted}
        others = []  # (market, type) of the account's other running instances of the standard families
        pages = ec2.get_paginator("describe_instances").paginate(
            Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])
        for page in pages:
            for r in page["Reservations"]:
                for i in r["Instances"]:
                    name = {t["Key"]: t["Value"] for t in i.get("Tags", [])}.get("Name", "")
                    if name not in ours and i["InstanceType"].startswith(STANDARD):
                        others.append(("spot" if i.get("InstanceLifecycle") == "spot" else "on-demand",
                                       i["InstanceType"]))
        types = sorted({i["instance_type"] for i in wanted} | {t for _, t in others})
        vcpus = {t["InstanceType"]: t["VCpuInfo"]["DefaultVCpus"]
                 for t in ec2.describe_instance_types(InstanceTypes=types)["InstanceTypes"]}
        in_use = {market: sum(vcpus.get(t, 0) for m, t in others if m == market) for market in QUOTAS}
        quotas = self.client("service-quotas")
        rows = []
        for market in ("spot", "on-demand"):
            mine = [i for i in wanted if i["market"] == market]
            if not mine:
                continue
            need = sum(vcpus.get(i["instance_type"], 0) for i in mine)
            try:
                value = quotas.get_service_quota(ServiceCode="ec2", QuotaCode=QUOTAS[market])["Quota"]["Value"]
            except botocore.exceptions.ClientError as err:
                if code(err) != "NoSuchResourceException":
                    raise
                value = quotas.get_aws_default_service_quota(ServiceCode="ec2",
                                                             QuotaCode=QUOTAS[market])["Quota"]["Value"]
            names = ", ".join(f"{i['name']} {i['instance_type']}" for i in mine)
            ok = need + in_use[market] <= value
            rows.append(row(f"{market} vCPU quota", ok,
                            f"{need} vCPUs asked ({names}) + {in_use[market]} in use, quota {value:g}",
                            f"request a quota increase to at least {need + in_use[market]}: Service Quotas, "
                            f"Amazon EC2, {QUOTAS[market]} (a new account's is often too low)"))
        return rows

    def bucket_row(self):
        """Ours if the account lists it; free if S3 does not know the name;
        anyone else's otherwise (HeadBucket answers 200 or 403 for it)."""
        name = self.p["bucket"]
        s3 = self.client("s3")
        if name in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
            return row("backup bucket", True, f"{name} exists and is this account's")
        try:
            s3.head_bucket(Bucket=name)
        except botocore.exceptions.ClientError as err:
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 or code(err) in ("404", "NoSuchBucket", "NotFound"):
                return row("backup bucket", True, f"{name} is free (site.yml creates it)")
            if status != 403 and code(err) not in ("403", "AccessDenied", "Forbidden"):
                raise
        return row("backup bucket", False, f"{name} belongs to another AWS account",
                   "choose another backup_bucket (bucket names are global: end it with your account ID)")

    def alerts_row(self):
        topic, emails = self.p["alerts_topic"], self.p["alert_emails"]
        if not topic:
            return row("alert subscriptions", True, "alerts are off (aws_infra_alerts: false)")
        sns = self.client("sns")
        arns = [t["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for t in page["Topics"]
                if t["TopicArn"].rsplit(":", 1)[-1] == topic]
        if not arns:
            return row("alert subscriptions", "later", f"topic {topic} does not exist yet",
                       "run site.yml (it creates the topic), then confirm the mail each address gets")
        subs = [s for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arns[0])
                for s in page["Subscriptions"] if s["Protocol"] == "email"]
        confirmed = {s["Endpoint"] for s in subs if s["SubscriptionArn"].startswith("arn:")}
        pending = {s["Endpoint"] for s in subs if not s["SubscriptionArn"].startswith("arn:")}
        bad = [e for e in emails if e not in confirmed]
        if not bad:
            return row("alert subscriptions", True, f"{len(emails)} confirmed on {topic}")
        why = [f"{e} ({'not confirmed' if e in pending else 'not subscribed'})" for e in bad]
        return row("alert subscriptions", False, "; ".join(why),
                   "confirm AWS's mail (\"AWS Notification - Subscription Confirmation\"); an address not "
                   "subscribed: run site.yml")

    def budget_row(self, account):
        name = self.p["budget_name"]
        if not name:
            return []
        try:
            budget = self.client("budgets").describe_budget(AccountId=account, BudgetName=name)["Budget"]
        except botocore.exceptions.ClientError as err:
            if code(err) != "NotFoundException":
                raise
            return [row("budget", "later", f"{name} does not exist yet", "run playbooks/cost.yml (the cost guard creates it)")]
        limit = budget.get("BudgetLimit", {})
        return [row("budget", True, f"{name}: {limit.get('Amount', '?')} {limit.get('Unit', '')} a month")]

    def admin_row(self):
        address, cidrs = self.p["admin_address"], self.p["admin_cidrs"]
        if not address:
            return row("admin address in admin_cidrs", "later", "your public address could not be read",
                       "give it: -e aws_infra_doctor_admin_address=A.B.C.D")
        try:
            ip = ipaddress.ip_address(address.strip())
            inside = [c for c in cidrs if ip in ipaddress.ip_network(c, strict=False)]
        except ValueError as err:
            return row("admin address in admin_cidrs", False, str(err), "check admin_cidrs and aws_infra_doctor_admin_address")
        if inside:
            return row("admin address in admin_cidrs", True, f"{ip} is inside {inside[0]}")
        return row("admin address in admin_cidrs", False, f"{ip} is outside {', '.join(cidrs) or 'an empty list'}",
                   f"add {ip}/32 (or your network's range) to admin_cidrs: SSH from here would time out")

    def run(self):
        try:
            account = self.client("sts").get_caller_identity()["Account"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            return "", [row("credentials", False, f"not accepted, or AWS not reached: {err}",
                            "export AWS_PROFILE (or the access keys) of an admin of the club's account")]
        rows = [row("credentials", True, f"account {account}")]
        steps = (("region", self.region_row), ("key pair", self.key_row), ("network", self.network_rows), ("arm64 AMI", self.ami_row),
                 ("vCPU quotas", self.quota_rows), ("backup bucket", self.bucket_row),
                 ("alert subscriptions", self.alerts_row), ("budget", lambda: self.budget_row(account)),
                 ("admin address in admin_cidrs", self.admin_row))
        for label, step in steps:
            try:
                out = step()
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
                out = row(label, False, f"could not be read: {err}", "give the credentials read access to it")
            rows.extend(out if isinstance(out, list) else [out])
        return account, rows


def main():
    module = AnsibleAWSModule(
        argument_spec={
            "key_name": {"type": "str", "required": True},
            "ssh_public_keys": {"type": "list", "elements": "str", "default": []},
            "vpc_filters": {"type": "dict", "required": True},
            "vpc_made_later": {"type": "bool", "default": False},
            "subnets": {"type": "list", "elements": "dict", "default": [], "options": {
                "label": {"type": "str", "required": True}, "filters": {"type": "dict", "required": True},
                "count": {"type": "int", "default": 1}}},
            "ami": {"type": "dict", "default": {}, "options": {
                "image_ids": {"type": "list", "elements": "str", "default": []},
                "owners": {"type": "list", "elements": "str", "default": []},
                "filters": {"type": "dict", "default": {}},
                "missing": {"type": "str", "default": ""}}},
            "instances": {"type": "list", "elements": "dict", "default": [], "options": {
                "name": {"type": "str", "required": True}, "instance_type": {"type": "str", "required": True},
                "market": {"type": "str", "required": True, "choices": ["spot", "on-demand"]}}},
            "bucket": {"type": "str", "required": True},
            "alerts_topic": {"type": "str", "default": ""},
            "alert_emails": {"type": "list", "elements": "str", "default": []},
            "budget_name": {"type": "str", "default": ""},
            "admin_address": {"type": "str", "default": ""},
            "admin_cidrs": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True)
    account, checks = Doctor(module).run()
    module.exit_json(changed=False, account_id=account, checks=checks)


if __name__ == "__main__":
    main()
