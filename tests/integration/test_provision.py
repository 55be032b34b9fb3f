"""playbooks/provision.yml and teardown.yml against a local moto server,
checked through boto3: the AWS state must be what was asked."""

import concurrent.futures
import json
import re
import subprocess
import threading

import pytest

from labhelpers import ROOT

PREFIX = "itsupport-dev"
BUCKET = "itsupport-dev-db-backups"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
PROFILE = f"{PREFIX}-devhost"
TAGS = {"Project": "itsupport", "Environment": "dev", "ManagedBy": "ansible"}


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def instances(ec2, states=("pending", "running", "stopping", "stopped")):
    res = ec2.describe_instances(Filters=[
        {"Name": "tag:Project", "Values": ["itsupport"]},
        {"Name": "instance-state-name", "Values": list(states)}])
    return {tags(i)["Name"]: i for r in res["Reservations"] for i in r["Instances"]}


def sg(ec2, name):
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    assert len(groups) == 1, f"expected one security group {name}"
    return groups[0]


def ingress(group):
    """(port, source) pairs of a security group's inbound rules."""
    pairs = set()
    for p in group["IpPermissions"]:
        port = (p.get("FromPort"), p.get("ToPort"))
        for r in p.get("IpRanges", []):
            pairs.add((port, r["CidrIp"]))
        for g in p.get("UserIdGroupPairs", []):
            pairs.add((port, g["GroupId"]))
    return pairs


def inventory_graph(moto):
    res = subprocess.run(["ansible-inventory", "-i", str(ROOT / "inventories/lab"), "--list"],
                         capture_output=True, text=True, env=dict(__import__("os").environ, **moto.env), check=True)
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def provisioned(moto):
    rc, out, recap = moto.playbook("playbooks/provision.yml")
    assert rc == 0, out
    return moto.client()


def test_resolved_ami_is_the_newest_debian_arm64(moto, provisioned):
    for inst in instances(provisioned).values():
        assert inst["ImageId"] == "ami-0d1e5a13a7e64a2b1"


def test_nat_instance(provisioned):
    nat = instances(provisioned)[f"{PREFIX}-nat"]
    assert nat["InstanceType"] == "t4g.micro"
    assert nat["State"]["Name"] == "running"
    attr = provisioned.describe_instance_attribute(InstanceId=nat["InstanceId"], Attribute="sourceDestCheck")
    assert attr["SourceDestCheck"]["Value"] is False
    assert nat["MetadataOptions"]["HttpTokens"] == "required"
    assert tags(nat) == {**TAGS, "Name": f"{PREFIX}-nat", "Role": "nat"}
    subnet = provisioned.describe_subnets(SubnetIds=[nat["SubnetId"]])["Subnets"][0]
    assert tags(subnet)["Name"] == "itsupport-public-a"


def test_nat_root_volume_is_encrypted_gp3(provisioned):
    nat = instances(provisioned)[f"{PREFIX}-nat"]
    vol_ids = [b["Ebs"]["VolumeId"] for b in nat["BlockDeviceMappings"]]
    vols = provisioned.describe_volumes(VolumeIds=vol_ids)["Volumes"]
    assert vols and all(v["Encrypted"] and v["VolumeType"] == "gp3" for v in vols)


def test_one_elastic_ip_on_the_nat(provisioned):
    nat = instances(provisioned)[f"{PREFIX}-nat"]
    eips = provisioned.describe_addresses()["Addresses"]
    assert len(eips) == 1
    assert eips[0]["InstanceId"] == nat["InstanceId"]
    assert tags(eips[0]) == {**TAGS, "Name": f"{PREFIX}-nat-eip", "Role": "nat"}


def test_private_default_route_targets_the_nats_eni_and_other_routes_stay(provisioned):
    nat = instances(provisioned)[f"{PREFIX}-nat"]
    eni = nat["NetworkInterfaces"][0]["NetworkInterfaceId"]
    rt = provisioned.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["itsupport-private-rt"]}])["RouteTables"][0]
    routes = {r["DestinationCidrBlock"]: r for r in rt["Routes"] if "DestinationCidrBlock" in r}
    assert routes["0.0.0.0/0"].get("NetworkInterfaceId") == eni
    assert "192.168.100.0/24" in routes, "a route the playbook does not own was purged"


def test_s3_is_reached_through_a_gateway_endpoint_on_the_private_route_table(provisioned):
    rt = provisioned.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["itsupport-private-rt"]}])["RouteTables"][0]
    (endpoint,) = provisioned.describe_vpc_endpoints(
        Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-s3-endpoint"]}])["VpcEndpoints"]
    assert endpoint["ServiceName"] == "com.amazonaws.ap-northeast-2.s3"
    assert endpoint["VpcEndpointType"] == "Gateway" and endpoint["RouteTableIds"] == [rt["RouteTableId"]]
    assert tags(endpoint)["ManagedBy"] == "ansible"
    # The route to S3's prefix list, through the endpoint (moto writes it).
    assert [r for r in rt["Routes"] if r.get("GatewayId") == endpoint["VpcEndpointId"]], rt["Routes"]


def test_the_nat_status_alarm_tells_the_admins_and_recovers_the_nat(moto, provisioned):
    nat = instances(provisioned)[f"{PREFIX}-nat"]
    (alarm,) = moto.client("cloudwatch").describe_alarms(AlarmNames=[f"{PREFIX}-nat-status"])["MetricAlarms"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/EC2", "StatusCheckFailed")
    assert alarm["Dimensions"] == [{"Name": "InstanceId", "Value": nat["InstanceId"]}]
    assert sorted(alarm["AlarmActions"]) == sorted([
        f"arn:aws:sns:ap-northeast-2:123456789012:{PREFIX}-alerts", "arn:aws:automate:ap-northeast-2:ec2:recover"])
    assert alarm["EvaluationPeriods"] == 2 and alarm["Period"] == 60


def test_launch_template_is_persistent_spot_stopped_on_interruption(provisioned):
    data = provisioned.describe_launch_template_versions(
        LaunchTemplateName=f"{PREFIX}-devhost-lt", Versions=["$Latest"])["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    market = data["InstanceMarketOptions"]
    assert market["MarketType"] == "spot"
    assert market["SpotOptions"]["SpotInstanceType"] == "persistent"
    assert market["SpotOptions"]["InstanceInterruptionBehavior"] == "stop"
    # The default max price: the whole environment's worst case under the
    # budget (docs/costs.md), not the on-demand cap.
    assert market["SpotOptions"].get("MaxPrice") == "0.012", market
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    # 1: only the host itself, not a container behind its Docker bridge,
    # can read the instance role's credentials.
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    assert data["IamInstanceProfile"]["Arn"].endswith(f":instance-profile/{PROFILE}")
    assert data["CreditSpecification"]["CpuCredits"] == "standard"
    assert data["InstanceType"] == "t4g.medium"
    ebs = data["BlockDeviceMappings"][0]["Ebs"]
    assert ebs["Encrypted"] is True and ebs["VolumeType"] == "gp3" and ebs["VolumeSize"] == 30
    lt = provisioned.describe_launch_templates(LaunchTemplateNames=[f"{PREFIX}-devhost-lt"])["LaunchTemplates"][0]
    lt_tags = provisioned.describe_tags(Filters=[{"Name": "resource-id", "Values": [lt["LaunchTemplateId"]]}])["Tags"]
    assert tags({"Tags": lt_tags}) == {**TAGS, "Name": f"{PREFIX}-devhost-lt", "Role": "devhost"}


def test_devhost_runs_from_the_template_in_the_private_subnet(provisioned):
    dev = instances(provisioned)[f"{PREFIX}-devhost"]
    assert dev["InstanceType"] == "t4g.medium"
    assert tags(dev) == {**TAGS, "Name": f"{PREFIX}-devhost", "Role": "devhost",
                         **{k: v for k, v in tags(dev).items() if k.startswith("aws:")}}
    subnet = provisioned.describe_subnets(SubnetIds=[dev["SubnetId"]])["Subnets"][0]
    assert tags(subnet)["Name"] == "itsupport-private-a"
    assert not dev.get("PublicIpAddress")
    assert [g["GroupName"] for g in dev["SecurityGroups"]] == [f"{PREFIX}-devhost-sg"]
    assert dev["IamInstanceProfile"]["Arn"].endswith(f":instance-profile/{PROFILE}")
    assert dev["MetadataOptions"]["HttpTokens"] == "required"
    assert dev["MetadataOptions"]["HttpPutResponseHopLimit"] == 1


def test_security_groups(provisioned):
    nat_sg, dev_sg = sg(provisioned, f"{PREFIX}-nat-sg"), sg(provisioned, f"{PREFIX}-devhost-sg")
    for group in (nat_sg, dev_sg):
        for (ports, source) in ingress(group):
            assert not (ports[0] is not None and ports[0] <= 3306 <= ports[1]), f"3306 open in {group['GroupName']}"
            if ports == (22, 22):
                assert source != "0.0.0.0/0", f"SSH open to the world in {group['GroupName']}"
    assert ((22, 22), "10.20.1.0/24") in ingress(nat_sg)
    assert ((443, 443), "10.20.2.0/24") in ingress(nat_sg)
    assert ((22, 22), nat_sg["GroupId"]) in ingress(dev_sg)
    assert ((8080, 8080), "10.20.1.0/24") in ingress(dev_sg)
    assert tags(nat_sg)["Role"] == "nat" and tags(dev_sg)["Role"] == "devhost"


def test_backup_bucket_is_private_encrypted_versioned_and_tls_only(moto, provisioned):
    s3 = moto.client("s3")
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                     "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    # The lab's own bucket has no TLS-only policy (moto ignores conditions and
    # would deny everything): the next test checks that policy by itself.
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=BUCKET)
    assert tags({"Tags": s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]}) == {**TAGS, "Name": BUCKET, "Role": "backup"}


def test_backup_bucket_policy_refuses_requests_without_tls(moto, provisioned, tmp_path):
    """The role as production runs it (aws_backup_deny_insecure_transport on),
    on a bucket of its own in the same moto."""
    play = tmp_path / "bucket.yml"
    play.write_text(json.dumps([{
        "name": "The backup bucket with its TLS-only policy", "hosts": "localhost",
        "connection": "local", "gather_facts": False,
        "roles": [{"role": "aws_backup", "vars": {"aws_backup_bucket": "tls-only-check",
                                                  "aws_backup_instance_profile": "tls-only-check",
                                                  "aws_backup_deny_insecure_transport": True}}]}]))
    rc, out, _ = moto.playbook(str(play))
    assert rc == 0, out
    policy = json.loads(moto.client("s3").get_bucket_policy(Bucket="tls-only-check")["Policy"])
    assert len(policy["Statement"]) == 1
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert sorted(deny["Resource"]) == ["arn:aws:s3:::tls-only-check", "arn:aws:s3:::tls-only-check/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_backup_bucket_expires_dumps_and_old_versions(moto, provisioned):
    rules = moto.client("s3").get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert len(rules) == 1
    rule = rules[0]
    assert rule["Status"] == "Enabled"
    assert rule.get("Filter", {}).get("Prefix", rule.get("Prefix")) == "mysql/"
    assert rule["Expiration"]["Days"] == 14
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 3


def test_devhost_role_may_add_backups_and_alert_and_nothing_else(moto, provisioned):
    """As written in AWS (moto): add a dump only with If-None-Match, move
    `latest`, read and list the prefix, publish to the alerts topic; no
    delete, nothing else."""
    iam = moto.client("iam")
    trust = iam.get_role(RoleName=PROFILE)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert [st["Principal"] for st in trust["Statement"]] == [{"Service": "ec2.amazonaws.com"}]
    assert iam.list_attached_role_policies(RoleName=PROFILE)["AttachedPolicies"] == []
    names = iam.list_role_policies(RoleName=PROFILE)["PolicyNames"]
    assert len(names) == 1
    doc = iam.get_role_policy(RoleName=PROFILE, PolicyName=names[0])["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    allowed = {}
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow", st
        actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
        resources = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
        assert "NotAction" not in st and "NotResource" not in st, st
        for action in actions:
            allowed.setdefault(action, []).append((resources, st.get("Condition")))
    assert set(allowed) == {"s3:PutObject", "s3:GetObject", "s3:ListBucket", "sns:Publish"}, allowed
    assert sorted(allowed["s3:PutObject"], key=str) == sorted([
        ([f"{BUCKET_ARN}/mysql/*.sql.gz"], {"Null": {"s3:if-none-match": "false"}}),
        ([f"{BUCKET_ARN}/mysql/latest"], None)], key=str), allowed["s3:PutObject"]
    assert allowed["s3:GetObject"] == [([f"{BUCKET_ARN}/mysql/*"], None)]
    account = moto.client("sts").get_caller_identity()["Account"]
    assert allowed["sns:Publish"] == [([f"arn:aws:sns:ap-northeast-2:{account}:itsupport-dev-alerts"], None)]
    for resources, condition in allowed["s3:ListBucket"]:
        assert resources == [BUCKET_ARN]
        assert condition == {"StringLike": {"s3:prefix": ["mysql/*"]}}, condition
    profile = iam.get_instance_profile(InstanceProfileName=PROFILE)["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [PROFILE]


ALERT_TYPES = ["EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation",
               "EC2 Instance State-change Notification"]


def test_alerts_go_to_the_admins_topic_for_the_projects_instances_only(moto, provisioned):
    events, sqs, sns = moto.client("events"), moto.client("sqs"), moto.client("sns")
    rule = events.describe_rule(Name=f"{PREFIX}-alerts")
    pattern = json.loads(rule["EventPattern"])
    ids = {i["InstanceId"] for i in instances(provisioned).values()}
    assert pattern["source"] == ["aws.ec2"]
    assert sorted(pattern["detail-type"]) == sorted(ALERT_TYPES)
    assert set(pattern["detail"]["instance-id"]) == ids and len(ids) == 2
    topic = [t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{PREFIX}-alerts")]
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule=f"{PREFIX}-alerts")["Targets"]] == topic
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic[0])["Attributes"]["Policy"])
    assert [(s["Principal"], s["Action"], s["Resource"]) for s in policy["Statement"]] == [
        ({"Service": "events.amazonaws.com"}, "sns:Publish", topic[0])]
    # What the rule's pattern lets through, seen on a queue: moto cannot
    # deliver to SNS targets, so a probe rule with the same pattern, on an
    # event bus of its own, feeds one.
    queue = sqs.create_queue(QueueName="alert-probe")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.create_event_bus(Name="alert-probe")
    events.put_rule(Name="alert-probe", EventBusName="alert-probe", EventPattern=rule["EventPattern"])
    events.put_targets(Rule="alert-probe", EventBusName="alert-probe", Targets=[{"Id": "probe", "Arn": arn}])
    try:
        dev = instances(provisioned)[f"{PREFIX}-devhost"]["InstanceId"]
        sent = [("aws.ec2", kind, dev) for kind in ALERT_TYPES] + [
            ("aws.ec2", "EC2 Spot Instance Interruption Warning", "i-0123456789abcdef0"),  # not ours
            ("aws.ec2", "EC2 AMI State Change", dev),  # not a type the admins get
            ("aws.autoscaling", "EC2 Instance State-change Notification", dev)]
        events.put_events(Entries=[{"Source": src, "DetailType": kind, "EventBusName": "alert-probe",
                                    "Detail": json.dumps({"instance-id": iid, "instance-action": "stop"})}
                                   for src, kind, iid in sent])
        got = []
        for _ in range(5):
            got += sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        kinds = sorted(json.loads(m["Body"])["detail-type"] for m in got)
        assert kinds == sorted(ALERT_TYPES)
    finally:
        events.remove_targets(Rule="alert-probe", EventBusName="alert-probe", Ids=["probe"])
        events.delete_rule(Name="alert-probe", EventBusName="alert-probe")
        events.delete_event_bus(Name="alert-probe")
        sqs.delete_queue(QueueUrl=queue)


def test_alert_emails_are_subscribed_and_checked(moto, provisioned):
    sns = moto.client("sns")
    rc, out, _ = moto.playbook("playbooks/provision.yml", "--tags", "aws_alerts",
                               extra_vars={"aws_infra_alert_emails": ["admins@example.org"]})
    assert rc == 0, out
    subs = sns.list_subscriptions()["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs if s["TopicArn"].endswith(f":{PREFIX}-alerts")] == [
        ("email", "admins@example.org")]
    # A bad address is refused before any change: tests/bad_inputs.yml.
    rc, out, _ = moto.playbook("playbooks/provision.yml", "--tags", "aws_alerts")
    assert rc == 0, out
    assert not [s for s in sns.list_subscriptions()["Subscriptions"] if s["TopicArn"].endswith(f":{PREFIX}-alerts")]


# Every task runs: the modules themselves must find nothing to change (the
# everyday run skips them when nothing changed, see below).
EVERY_TASK = {"full_run": True}
SKIPPED = ("Skipped: the itsupport-dev network, security groups, instances and alerts",
           "Skipped: the backup bucket itsupport-dev-db-backups and the IAM role")


@pytest.fixture(scope="module")
def no_change_runs(moto, provisioned):
    """A second run and a --check --diff run of every task, started together
    (neither changes anything)."""
    before = {n: i["InstanceId"] for n, i in instances(provisioned).items()}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        second = pool.submit(moto.playbook, "playbooks/provision.yml", extra_vars=EVERY_TASK)
        check = pool.submit(moto.playbook, "playbooks/provision.yml", "--check", "--diff", extra_vars=EVERY_TASK)
        return {"before": before, "second": second.result(), "check": check.result()}


def test_second_run_changes_nothing(moto, provisioned, no_change_runs):
    before = no_change_runs["before"]
    rc, out, recap = no_change_runs["second"]
    assert rc == 0, out
    assert recap["localhost"]["changed"] == 0, out
    assert {n: i["InstanceId"] for n, i in instances(provisioned).items()} == before
    assert len(provisioned.describe_addresses()["Addresses"]) == 1


def test_check_mode_changes_nothing(moto, provisioned, no_change_runs):
    rc, out, recap = no_change_runs["check"]
    assert rc == 0, out
    assert recap["localhost"]["changed"] == 0, out


def converged_found(out):
    """What each role's aws_converged_state read found (-v output)."""
    return [dict(re.findall(r"^ {8}([a-z_]+): (\d+)$", block, re.M))
            for block in re.findall(r"Compare the inputs.*?\n(?=TASK)", out, re.S)]


def test_a_run_with_nothing_to_change_reads_and_skips_every_change(moto, provisioned, no_change_runs):
    """The record of the last complete run matches: each role reads its
    resources once (all of them found), changes nothing and takes no lock.
    (A run first: the tests above ran provision.yml with other inputs.)"""
    assert moto.playbook("playbooks/provision.yml")[0] == 0
    rc, out, recap = moto.playbook("playbooks/provision.yml", "-v")
    assert rc == 0, out
    assert recap["localhost"]["changed"] == 0, out
    flat = " ".join(out.split())
    for message in SKIPPED:
        assert message in flat, out
    assert "Take the provisioning lock (waits" not in out
    assert not re.search(r"TASK \[aws_infra : Manage the NAT instance's security group\][^\n]*\n(ok|changed)", out)
    infra, backup = converged_found(out)
    assert (infra["instances"], infra["security_groups"], infra["addresses"], infra["launch_templates"],
            infra["sns_topics"], infra["event_rules"], infra["instance_profiles"]) == ("2", "2", "1", "1", "1", "1", "1"), infra
    assert (backup["buckets"], backup["iam_roles"]) == ("1", "1"), backup


def test_a_change_in_aws_or_in_an_input_runs_every_task_again(moto, provisioned, no_change_runs):
    """Drift (a rule removed by hand, the lifecycle deleted) and a changed
    input are not skipped: the run puts AWS back, or applies the input,
    records, and the next run skips again."""
    nat_sg = sg(provisioned, f"{PREFIX}-nat-sg")
    icmp = [p for p in nat_sg["IpPermissions"] if p["IpProtocol"] == "icmp"]
    provisioned.revoke_security_group_ingress(GroupId=nat_sg["GroupId"], IpPermissions=icmp)
    s3 = moto.client("s3")
    s3.delete_bucket_lifecycle(Bucket=BUCKET)
    rc, out, recap = moto.playbook("playbooks/provision.yml")
    assert rc == 0, out
    assert recap["localhost"]["changed"] >= 2, out
    flat = " ".join(out.split())
    assert not any(message in flat for message in SKIPPED), out
    assert [p for p in sg(provisioned, f"{PREFIX}-nat-sg")["IpPermissions"] if p["IpProtocol"] == "icmp"]
    assert s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    # An input: only its role runs.
    rc, out, recap = moto.playbook("playbooks/provision.yml", extra_vars={"aws_backup_retention_days": 15})
    assert rc == 0, out
    flat = " ".join(out.split())
    assert SKIPPED[0] in flat and SKIPPED[1] not in flat, out
    assert s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"][0]["Expiration"]["Days"] == 15
    # Back to the inventory's value, then nothing left to do.
    assert moto.playbook("playbooks/provision.yml")[0] == 0
    assert s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"][0]["Expiration"]["Days"] == 14
    rc, out, recap = moto.playbook("playbooks/provision.yml")
    assert rc == 0 and recap["localhost"]["changed"] == 0, out
    flat = " ".join(out.split())
    assert all(message in flat for message in SKIPPED), out


def test_inventory_groups_by_role_and_skips_stopped_instances(moto, provisioned):
    inv = inventory_graph(moto)
    assert inv["nat"]["hosts"] == [f"{PREFIX}-nat"]
    assert inv["devhost"]["hosts"] == [f"{PREFIX}-devhost"]
    nat = inv["_meta"]["hostvars"][f"{PREFIX}-nat"]
    # Reached over SSH as Debian's "admin", like production: the inventory
    # sets no connection plugin of its own.
    assert nat.get("ansible_connection", "ssh") == "ssh"
    assert nat["ansible_user"] == "admin"
    dev = instances(provisioned)[f"{PREFIX}-devhost"]["InstanceId"]
    provisioned.stop_instances(InstanceIds=[dev])
    try:
        inv = inventory_graph(moto)
        assert f"{PREFIX}-devhost" not in inv["_meta"]["hostvars"]
        assert inv["nat"]["hosts"] == [f"{PREFIX}-nat"]
    finally:
        provisioned.start_instances(InstanceIds=[dev])


def test_teardown_without_confirmation_lists_and_does_nothing(moto, provisioned):
    """Without -e aws_infra_teardown_confirm and no one at the prompt (no
    terminal), the list is printed and nothing is removed."""
    rc, out, recap = moto.playbook("playbooks/teardown.yml")
    assert rc != 0
    assert "aws_infra_teardown_confirm" in out
    running = instances(provisioned, states=("running",))
    assert len(running) == 2
    for inst in running.values():
        assert inst["InstanceId"] in out, f"{inst['InstanceId']} is not in the list shown before the prompt"
    assert provisioned.describe_addresses()["Addresses"][0]["PublicIp"] in out
    assert len(provisioned.describe_addresses()["Addresses"]) == 1


@pytest.fixture
def foreign(provisioned):
    """What someone else runs in the club's VPC: an instance tagged with the
    club's Project and Environment but not made by this project, and a route
    table of its own whose default route goes through that instance's network
    interface. Teardown must leave both alone."""
    ec2 = provisioned
    private = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["itsupport-private-a"]}])["Subnets"][0]
    inst = ec2.run_instances(ImageId="ami-0d1e5a13a7e64a2b1", InstanceType="t4g.nano", MinCount=1, MaxCount=1,
                             SubnetId=private["SubnetId"], TagSpecifications=[{
                                 "ResourceType": "instance",
                                 "Tags": [{"Key": "Name", "Value": "club-website"},
                                          {"Key": "Project", "Value": "itsupport"},
                                          {"Key": "Environment", "Value": "dev"}]}])["Instances"][0]
    eni = inst["NetworkInterfaces"][0]["NetworkInterfaceId"]
    rt = ec2.create_route_table(VpcId=private["VpcId"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", NetworkInterfaceId=eni)
    # Routes of every kind in the project's own private route table that
    # someone else made (the seed's internet gateway route is one more):
    # through a network interface, another endpoint's prefix list, a
    # peering connection and a transit gateway.
    private_rt = ec2.describe_route_tables(
        Filters=[{"Name": "tag:Name", "Values": ["itsupport-private-rt"]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="172.16.1.0/24", NetworkInterfaceId=eni)
    dynamodb = ec2.create_vpc_endpoint(VpcId=private["VpcId"], ServiceName="com.amazonaws.ap-northeast-2.dynamodb",
                                       VpcEndpointType="Gateway", RouteTableIds=[private_rt])["VpcEndpoint"]
    peer_vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    peering = ec2.create_vpc_peering_connection(VpcId=private["VpcId"], PeerVpcId=peer_vpc)["VpcPeeringConnection"]
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="10.99.0.0/16",
                     VpcPeeringConnectionId=peering["VpcPeeringConnectionId"])
    tgw = ec2.create_transit_gateway(Description="the university's")["TransitGateway"]["TransitGatewayId"]
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="10.98.0.0/16", TransitGatewayId=tgw)
    routes = [r for r in ec2.describe_route_tables(RouteTableIds=[private_rt])["RouteTables"][0]["Routes"]
              if r.get("DestinationCidrBlock") != "0.0.0.0/0" and r.get("GatewayId") != "local"
              and not (r.get("DestinationPrefixListId") and r.get("GatewayId") != dynamodb["VpcEndpointId"])]
    yield {"instance": inst["InstanceId"], "route_table": rt, "eni": eni, "private_rt": private_rt,
           "private_routes": routes, "endpoint": dynamodb["VpcEndpointId"]}
    ec2.terminate_instances(InstanceIds=[inst["InstanceId"]])


RECOVER_HARNESS = """
- name: Run one action of the recover role with a given plan
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/amazon.aws.aws:
      region: "{{ recover_region }}"
      access_key: testing
      secret_key: testing
  tasks:
    - name: Run the action
      ansible.builtin.include_role:
        name: recover
        tasks_from: "{{ recover_plan.action }}"
"""


def recover_action(moto, tmp_path, plan, **extra):
    """One of recover.yml's AWS actions (roles/aws/recover/tasks/<action>.yml)
    on a plan the decision table would give for a Spot state moto cannot
    produce (held by EC2, relaunched untagged)."""
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "harness.yml").write_text(RECOVER_HARNESS)
    (tmp_path / "group_vars").symlink_to(ROOT / "group_vars")
    plan = dict({"found": "", "request_id": "", "reason": "", "instances": [], "stopped_minutes": 0}, **plan)
    return moto.playbook(str(tmp_path / "harness.yml"), extra_vars=dict(extra, recover_plan=plan))


def ec2_restarts_it_later(ec2, iid, after=4):
    """Stands in for EC2 starting a Spot instance again when capacity returns."""
    timer = threading.Timer(after, ec2.start_instances, kwargs={"InstanceIds": [iid]})
    timer.start()
    return timer


def test_recover_waits_for_ec2_to_restart_the_dev_host_and_never_starts_it(moto, provisioned, tmp_path):
    dev = instances(provisioned)[f"{PREFIX}-devhost"]["InstanceId"]
    provisioned.stop_instances(InstanceIds=[dev])
    plan = {"action": "wait", "instance_id": dev, "found": "stopped by EC2 (instance-stopped-no-capacity)"}
    # Nothing to wait for: it says so, and leaves the instance stopped.
    rc, out, _ = recover_action(moto, tmp_path / "a", plan, recover_wait_minutes=0)
    assert rc != 0
    assert f"EC2 still holds the dev host {dev} stopped" in " ".join(out.split())
    assert "nothing was forced" in " ".join(out.split())
    assert instances(provisioned)[f"{PREFIX}-devhost"]["State"]["Name"] == "stopped"
    # EC2 brings it back during the wait: the wait ends as soon as it runs.
    timer = ec2_restarts_it_later(provisioned, dev)
    try:
        rc, out, recap = recover_action(moto, tmp_path / "b", plan, recover_wait_minutes=2)
    finally:
        timer.join()
    assert rc == 0, out
    assert recap["localhost"]["changed"] == 0, out
    assert instances(provisioned)[f"{PREFIX}-devhost"]["State"]["Name"] == "running"


def test_recover_starts_a_dev_host_a_person_stopped(moto, provisioned, tmp_path):
    dev = instances(provisioned)[f"{PREFIX}-devhost"]["InstanceId"]
    provisioned.stop_instances(InstanceIds=[dev])
    rc, out, _ = recover_action(moto, tmp_path, {"action": "start", "instance_id": dev})
    assert rc == 0, out
    assert instances(provisioned)[f"{PREFIX}-devhost"]["State"]["Name"] == "running"


def test_recover_adopts_an_instance_the_spot_request_relaunched_untagged(moto, provisioned, tmp_path):
    dev = instances(provisioned)[f"{PREFIX}-devhost"]
    relaunched = provisioned.run_instances(ImageId=dev["ImageId"], InstanceType="t4g.medium", MinCount=1, MaxCount=1,
                                           SubnetId=dev["SubnetId"])["Instances"][0]["InstanceId"]
    try:
        rc, out, _ = recover_action(moto, tmp_path, {"action": "adopt", "instance_id": relaunched})
        assert rc == 0, out
        got = tags(provisioned.describe_instances(InstanceIds=[relaunched])["Reservations"][0]["Instances"][0])
        assert got == dict(TAGS, Name=f"{PREFIX}-devhost", Role="devhost")
    finally:
        provisioned.terminate_instances(InstanceIds=[relaunched])


def run_at_a_terminal(moto, playbook, answer, timeout=300):
    """Run a playbook as a person at a terminal: a pseudo-terminal for its
    input and output; `answer` is typed once the prompt shows."""
    import fcntl
    import os
    import pty
    import select
    import termios
    import subprocess
    import time
    main, child = pty.openpty()
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", **moto.env)
    def own_terminal():  # a session of its own, the pseudo-terminal its controlling terminal
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(["ansible-playbook", "-i", str(ROOT / "inventories/lab"), str(ROOT / playbook)],
                            stdin=child, stdout=child, stderr=child, env=env, preexec_fn=own_terminal)
    os.close(child)
    out, typed, deadline = b"", False, time.monotonic() + timeout
    last, tries = time.monotonic(), 0
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            last = time.monotonic()
        # Typed a moment after the prompt shows: the pause discards what
        # was typed before it is ready (as a terminal does), so it is typed
        # again while the output stands still.
        shown = " ".join(out.decode(errors="replace").split())
        if "anything else to stop" in shown and "Nothing was removed" not in shown and tries < 3 \
                and time.monotonic() - last >= (2 if not typed else 8):
            os.write(main, answer.encode() + b"\r")
            typed, tries, last = True, tries + 1, time.monotonic()
        if proc.poll() is not None and not ready:
            break
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    os.close(main)
    return proc.returncode, out.decode(errors="replace"), typed


def test_teardown_at_the_prompt_stops_unless_the_environment_is_typed(moto, provisioned):
    """At a terminal the run shows the list, asks, and a wrong answer stops
    it with nothing removed."""
    rc, out, typed = run_at_a_terminal(moto, "playbooks/teardown.yml", "itsupport-prod")
    assert typed, out
    assert rc != 0, out
    assert "Nothing was removed" in out, out
    assert len(instances(provisioned, states=("running",))) == 2
    assert len(provisioned.describe_addresses()["Addresses"]) == 1


def kinds_of(routes):
    """What each route goes through, in words."""
    kinds = set()
    for r in routes:
        if r.get("DestinationPrefixListId"):
            kinds.add("endpoint prefix list")
        elif r.get("VpcPeeringConnectionId"):
            kinds.add("peering")
        elif r.get("TransitGatewayId"):
            kinds.add("transit gateway")
        elif r.get("NetworkInterfaceId"):
            kinds.add("network interface")
        elif r.get("GatewayId", "").startswith("igw-"):
            kinds.add("gateway")
    return kinds


def test_teardown_leaves_nothing_billable_keeps_the_backups_and_touches_nothing_else(moto, provisioned, foreign):
    s3 = moto.client("s3")
    s3.put_object(Bucket=BUCKET, Key="mysql/20261127T000000Z.sql.gz", Body=b"a backup")
    # The dev host's final backup is the site scenario's test (no host here).
    rc, out, recap = moto.playbook("playbooks/teardown.yml", extra_vars={"aws_infra_teardown_confirm": PREFIX,
                                                                         "teardown_final_backup": False})
    assert rc == 0, out
    assert "and its backups were KEPT" in " ".join(out.split()), out
    assert s3.get_object(Bucket=BUCKET, Key="mysql/20261127T000000Z.sql.gz")["Body"].read() == b"a backup"
    roles = [r["RoleName"] for r in moto.client("iam").list_roles()["Roles"]]
    assert PROFILE not in roles
    profiles = moto.client("iam").list_instance_profiles()["InstanceProfiles"]
    assert PROFILE not in [p["InstanceProfileName"] for p in profiles]
    assert list(instances(provisioned)) == ["club-website"], "teardown reached an instance it did not make"
    assert foreign["instance"] not in out
    route = [r for r in provisioned.describe_route_tables(RouteTableIds=[foreign["route_table"]])["RouteTables"][0]["Routes"]
             if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert route and route[0].get("NetworkInterfaceId") == foreign["eni"], "teardown removed a route it did not make"
    assert provisioned.describe_addresses()["Addresses"] == []
    assert provisioned.describe_volumes(Filters=[{"Name": "status", "Values": ["available"]}])["Volumes"] == []
    open_requests = provisioned.describe_spot_instance_requests(
        Filters=[{"Name": "state", "Values": ["open", "active", "disabled"]}])["SpotInstanceRequests"]
    assert open_requests == []
    groups = {g["GroupName"] for g in provisioned.describe_security_groups()["SecurityGroups"]}
    assert not groups & {f"{PREFIX}-nat-sg", f"{PREFIX}-devhost-sg"}
    assert provisioned.describe_launch_templates(
        Filters=[{"Name": "launch-template-name", "Values": [f"{PREFIX}-devhost-lt"]}])["LaunchTemplates"] == []
    assert f"{PREFIX}-alerts" not in [r["Name"] for r in moto.client("events").list_rules()["Rules"]]
    assert not [t for t in moto.client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(f":{PREFIX}-alerts")]
    rt = provisioned.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["itsupport-private-rt"]}])["RouteTables"][0]
    dests = {r.get("DestinationCidrBlock") for r in rt["Routes"]}
    assert "0.0.0.0/0" not in dests and "192.168.100.0/24" in dests
    # Every route someone else made is there as it was, whatever its target;
    # the project's S3 endpoint went, and its route with it.
    kept = [r for r in rt["Routes"] if r.get("GatewayId") != "local"]
    assert sorted(map(str, kept)) == sorted(map(str, foreign["private_routes"])), kept
    assert kinds_of(kept) == {"gateway", "network interface", "endpoint prefix list", "peering", "transit gateway"}
    endpoints = provisioned.describe_vpc_endpoints(Filters=[{"Name": "vpc-endpoint-state",
                                                             "Values": ["pending", "available"]}])["VpcEndpoints"]
    assert [e["VpcEndpointId"] for e in endpoints] == [foreign["endpoint"]], endpoints
    alarms = moto.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert f"{PREFIX}-nat-status" not in [a["AlarmName"] for a in alarms]
    # A new environment under the same name starts with every task.
    records = moto.client("ssm").get_parameters_by_path(Path="/itsupport/dev/converged", Recursive=True)["Parameters"]
    assert records == [], records


def test_teardown_deletes_the_backups_when_told_by_name(moto, provisioned):
    s3 = moto.client("s3")
    rc, out, _ = moto.playbook("playbooks/teardown.yml", extra_vars={
        "aws_infra_teardown_confirm": PREFIX, "aws_backup_teardown_delete_backups": BUCKET,
        "teardown_final_backup": False})
    assert rc == 0, out
    assert "every backup in it were deleted" in " ".join(out.split()), out
    assert BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
