#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module: skipping work that is provably done. A role
# that manages AWS resources reads them all here in one module run, and
# compares a digest of (its inputs, its code, what AWS holds now) with the
# digest it recorded at the end of its last complete run. Equal means the
# last run's changes are all still in place and nothing asks for a new one:
# the role skips its changing modules (about 20 module runs; what it
# saves: docs/benchmarks.md).

DOCUMENTATION = r"""
module: aws_converged_state
short_description: Whether a role's AWS resources are exactly as its last complete run left them
description:
  - Reads the given AWS resources (everything a role manages - the describe
    calls below, whole answers, lists sorted) and computes a SHA-256 digest
    of them together with O(inputs) (the role's variables and code, as a
    digest the role computes).
  - O(state=checked) compares that digest with the one recorded in the SSM
    parameter O(name) and returns RV(converged). Not converged when there is
    no record, the digest differs (an input, the code or anything in AWS
    changed since), the provisioning lock O(lock) is held (someone is
    changing the environment) or a read failed for another reason than the
    resource being absent (an AWS error, a timeout).
  - O(state=recorded) writes the digest to O(name) when every instance named
    in O(resources.instances) runs (once each) - a record is only made of an
    environment that is complete. The role records at the end of a run that
    ran every task (no tag limit).
  - Resources read, per key of O(resources) - C(instances) (by Name tag, not
    terminated, with termination protection), C(security_groups) (by name in
    a VPC), C(addresses) (Elastic IPs by Name tag), C(route_tables) (by ID),
    C(vpc_endpoints) (by Name tag, pending or available),
    C(launch_templates) (by name, with the latest version's data),
    C(vpcs) (by Name tag, with their DNS attributes, subnets, internet
    gateways and route tables), C(buckets) (versioning, encryption, public access block,
    ownership, policy, tags, lifecycle), C(iam_roles) (the role, its
    attached and inline policies, the instance profile of the same name),
    C(instance_profiles) (by name),
    C(sns_topics) (attributes, subscriptions), C(event_rules) (the rule and
    its targets) and C(alarms) (CloudWatch metric alarms by name, their
    configuration, not their state).
  - The record is bookkeeping, like the provisioning lock - the module never
    reports a change. In check mode O(state=recorded) writes nothing.
options:
  name:
    description: SSM parameter that holds the record, e.g. C(/itsupport/dev/converged/aws_infra).
    type: str
    required: true
  state:
    description: C(checked) compares, C(recorded) writes.
    type: str
    choices: [checked, recorded]
    default: checked
  inputs:
    description: Digest of what the role is asked to do (its variables, its code).
    type: str
    required: true
  lock:
    description: SSM parameter of the provisioning lock; while it exists nothing is converged. Empty = no lock.
    type: str
    default: ""
  resources:
    description: What to read (see the description); every key is optional.
    type: dict
    required: true
  show:
    description: Also return what was read (RV(state)), to see why a run was not skipped.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Compare the backup bucket and the IAM role with the last complete run
  aws_converged_state:
    name: /itsupport/dev/converged/aws_backup
    inputs: "{{ inputs_digest }}"
    resources:
      buckets: [itsupport-dev-backups]
      iam_roles: [itsupport-dev-devhost]
  register: converged
"""

RETURN = r"""
converged:
  description: The digest equals the record (always false for O(state=recorded)).
  returned: always
  type: bool
reason:
  description: Why not converged, or what was recorded, in words.
  returned: always
  type: str
digest:
  description: The digest of the inputs and the resources read now.
  returned: always
  type: str
recorded:
  description: The digest was written (O(state=recorded), not check mode).
  returned: always
  type: bool
found:
  description: How many of each kind of resource the read found (absent ones count 0).
  returned: always
  type: dict
  sample: {instances: 2, security_groups: 2, addresses: 1, buckets: 1}
state:
  description: What was read, as hashed (with O(show) only).
  returned: when O(show)
  type: dict
"""

import json

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible.module_utils import itsupport_converged as converged
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

# Error codes that mean "this resource or setting does not exist": part of
# the state. Any other error makes the state unknown.
ABSENT = {
    "NoSuchBucket", "NoSuchBucketPolicy", "NoSuchTagSet", "NoSuchTagSetError", "NoSuchLifecycleConfiguration",
    "NoSuchPublicAccessBlockConfiguration", "ServerSideEncryptionConfigurationNotFoundError",
    "OwnershipControlsNotFoundError", "NoSuchEntity", "NotFound", "ResourceNotFoundException",
    "InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.NotFound",
    "InvalidRouteTableID.NotFound", "ParameterNotFound",
}
# Fields that change while nothing is changed (the instance role is used by
# the dev host every backup).
# Counters that AWS updates later or on its own (an admin confirming an
# e-mail, an unconfirmed subscription expiring): the subscriptions
# themselves are read.
VOLATILE = {"ResponseMetadata", "RoleLastUsed", "SubscriptionsConfirmed", "SubscriptionsPending", "SubscriptionsDeleted"}
LIVE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"]


class Unknown(Exception):
    """A read failed for another reason than absence."""


def call(client, operation, **kwargs):
    try:
        return getattr(client, operation)(**kwargs)
    except botocore.exceptions.ClientError as e:
        code = e.response["Error"]["Code"]
        if code in ABSENT:
            return {"absent": code}
        raise Unknown(f"{operation}: {code}") from e
    except botocore.exceptions.BotoCoreError as e:
        raise Unknown(f"{operation}: {e}") from e


def canonical(value):
    """Volatile keys dropped, dict keys and list items in a stable order."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, (list, tuple)):
        items = [canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return value


def ec2_state(ec2, res):
    state = {}
    if res.get("instances"):
        found = call(ec2, "describe_instances", Filters=[
            {"Name": "tag:Name", "Values": res["instances"]}, {"Name": "instance-state-name", "Values": LIVE_STATES}])
        instances = [i for r in found.get("Reservations", []) for i in r["Instances"]]
        for i in instances:
            i["DisableApiTermination"] = call(ec2, "describe_instance_attribute", InstanceId=i["InstanceId"],
                                              Attribute="disableApiTermination").get("DisableApiTermination")
        state["instances"] = instances
    if res.get("security_groups"):
        sgs = res["security_groups"]
        filters = [{"Name": "group-name", "Values": sgs["names"]}]
        if sgs.get("vpc_id"):
            filters.append({"Name": "vpc-id", "Values": [sgs["vpc_id"]]})
        state["security_groups"] = call(ec2, "describe_security_groups", Filters=filters)
    if res.get("addresses"):
        state["addresses"] = call(ec2, "describe_addresses", Filters=[{"Name": "tag:Name", "Values": res["addresses"]}])
    if res.get("route_tables"):
        state["route_tables"] = call(ec2, "describe_route_tables", RouteTableIds=res["route_tables"])
    if res.get("vpc_endpoints"):
        state["vpc_endpoints"] = call(ec2, "describe_vpc_endpoints", Filters=[
            {"Name": "tag:Name", "Values": res["vpc_endpoints"]},
            {"Name": "vpc-endpoint-state", "Values": ["pending", "available"]}])
    for name in res.get("launch_templates") or []:
        state[f"launch_template {name}"] = [
            call(ec2, "describe_launch_templates", LaunchTemplateNames=[name]),
            call(ec2, "describe_launch_template_versions", LaunchTemplateName=name, Versions=["$Latest"]),
        ]
    if res.get("vpcs"):
        vpcs = call(ec2, "describe_vpcs", Filters=[{"Name": "tag:Name", "Values": res["vpcs"]}])
        ids = [v["VpcId"] for v in vpcs.get("Vpcs", [])]
        state["vpcs"] = vpcs
        state["vpc_attributes"] = {vpc: [call(ec2, "describe_vpc_attribute", VpcId=vpc, Attribute=a)
                                         for a in ("enableDnsSupport", "enableDnsHostnames")] for vpc in ids}
        if ids:
            state["subnets"] = call(ec2, "describe_subnets", Filters=[{"Name": "vpc-id", "Values": ids}])
            state["internet_gateways"] = call(ec2, "describe_internet_gateways",
                                              Filters=[{"Name": "attachment.vpc-id", "Values": ids}])
            state["vpc_route_tables"] = call(ec2, "describe_route_tables", Filters=[{"Name": "vpc-id", "Values": ids}])
    return state


def bucket_state(s3, name):
    return {op: call(s3, op, Bucket=name) for op in (
        "get_bucket_versioning", "get_bucket_encryption", "get_public_access_block", "get_bucket_ownership_controls",
        "get_bucket_policy", "get_bucket_tagging", "get_bucket_lifecycle_configuration")}


def role_state(iam, name):
    role = {"role": call(iam, "get_role", RoleName=name)}
    if "absent" in role["role"]:
        return role
    role["attached"] = call(iam, "list_attached_role_policies", RoleName=name)
    inline = call(iam, "list_role_policies", RoleName=name)
    role["inline"] = {p: call(iam, "get_role_policy", RoleName=name, PolicyName=p)
                      for p in inline.get("PolicyNames", [])}
    role["instance_profile"] = call(iam, "get_instance_profile", InstanceProfileName=name)
    return role


def profile_identity(answer):
    if "absent" in answer:
        return answer
    profile = answer["InstanceProfile"]
    return {"Arn": profile["Arn"], "InstanceProfileId": profile["InstanceProfileId"],
            "Roles": [r["RoleName"] for r in profile.get("Roles", [])]}


def read_state(module, res):
    state = {}
    if any(res.get(k) for k in ("instances", "security_groups", "addresses", "route_tables", "vpc_endpoints",
                                "launch_templates", "vpcs")):
        state["ec2"] = ec2_state(module.client("ec2"), res)
    if res.get("buckets"):
        s3 = module.client("s3")
        state["buckets"] = {name: bucket_state(s3, name) for name in res["buckets"]}
    if res.get("iam_roles"):
        iam = module.client("iam")
        state["iam_roles"] = {name: role_state(iam, name) for name in res["iam_roles"]}
    if res.get("instance_profiles"):
        iam = module.client("iam")
        # The profile itself, not its role's policies (aws_backup's, read there).
        state["instance_profiles"] = {name: profile_identity(call(iam, "get_instance_profile", InstanceProfileName=name))
                                      for name in res["instance_profiles"]}
    if res.get("sns_topics"):
        sns = module.client("sns")
        state["sns_topics"] = {arn: [call(sns, "get_topic_attributes", TopicArn=arn),
                                     call(sns, "list_subscriptions_by_topic", TopicArn=arn)]
                               for arn in res["sns_topics"]}
    if res.get("alarms"):
        # The configuration only: an alarm's state moves on its own.
        answer = call(module.client("cloudwatch"), "describe_alarms", AlarmNames=res["alarms"])
        state["alarms"] = [{k: v for k, v in alarm.items() if not k.startswith("State")}
                           for alarm in answer.get("MetricAlarms", [])] if "absent" not in answer else answer
    if res.get("event_rules"):
        events = module.client("events")
        state["event_rules"] = {name: [call(events, "describe_rule", Name=name),
                                       call(events, "list_targets_by_rule", Rule=name)]
                                for name in res["event_rules"]}
    return state


def found(state):
    """How many of each resource the read found."""
    ec2 = state.get("ec2", {})
    counts = {
        "instances": len(ec2.get("instances", [])),
        "security_groups": len(ec2.get("security_groups", {}).get("SecurityGroups", [])),
        "addresses": len(ec2.get("addresses", {}).get("Addresses", [])),
        "route_tables": len(ec2.get("route_tables", {}).get("RouteTables", [])),
        "vpc_endpoints": len(ec2.get("vpc_endpoints", {}).get("VpcEndpoints", [])),
        "vpcs": len(ec2.get("vpcs", {}).get("Vpcs", [])),
        "launch_templates": sum(1 for k, v in ec2.items() if k.startswith("launch_template ") and "absent" not in v[0]),
    }
    first = {"buckets": lambda v: v["get_bucket_versioning"], "iam_roles": lambda v: v["role"],
             "instance_profiles": lambda v: v, "sns_topics": lambda v: v[0], "event_rules": lambda v: v[0]}
    for kind, answer in first.items():
        counts[kind] = sum(1 for v in state.get(kind, {}).values() if "absent" not in answer(v))
    counts["alarms"] = len(state["alarms"]) if isinstance(state.get("alarms"), list) else 0
    return counts


def digest(inputs, state):
    return converged.digest(inputs, canonical(state))


def running_instances(state, names):
    """The names that do not have exactly one running instance."""
    instances = state.get("ec2", {}).get("instances", [])
    missing = []
    for name in names:
        mine = [i for i in instances if {"Key": "Name", "Value": name} in i.get("Tags", [])]
        if len(mine) != 1 or mine[0]["State"]["Name"] != "running":
            missing.append(name)
    return missing


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["checked", "recorded"], default="checked"),
            inputs=dict(type="str", required=True),
            lock=dict(type="str", default=""),
            resources=dict(type="dict", required=True),
            show=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    ssm = module.client("ssm")
    result = {"changed": False, "converged": False, "recorded": False, "digest": ""}
    try:
        state = read_state(module, p["resources"])
        result["digest"] = now = digest(p["inputs"], state)
        result["found"] = found(state)
        if p["show"]:
            result["state"] = json.loads(json.dumps(canonical(state), default=str))
        record = call(ssm, "get_parameter", Name=p["name"]).get("Parameter", {}).get("Value", "")
        if p["state"] == "checked":
            if p["lock"] and "absent" not in call(ssm, "get_parameter", Name=p["lock"]):
                result["reason"] = f"the provisioning lock {p['lock']} is held"
            else:
                result["converged"], result["reason"] = converged.compare(record, now, p["name"], "the AWS resources")
        else:
            missing = running_instances(state, p["resources"].get("instances") or [])
            if missing:
                result["reason"] = f"not recorded: no single running instance named {', '.join(missing)}"
            elif record == now:
                result["reason"] = "already recorded"
            elif module.check_mode:
                result["reason"] = "not recorded in check mode"
            else:
                ssm.put_parameter(Name=p["name"], Value=now, Type="String", Overwrite=True,
                                  Description="Digest of the last complete provisioning run (aws_converged_state)")
                result["recorded"] = True
                result["reason"] = f"recorded in {p['name']}"
    except Unknown as e:
        result["reason"] = f"state unknown, a read failed ({e})"
        if p["state"] == "recorded":
            module.warn(f"Not recorded in {p['name']}: {result['reason']}; the next run runs every task.")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not read or write {p['name']}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
