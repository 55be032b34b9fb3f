"""playbooks/provision.yml and teardown.yml against a local moto server,
checked through boto3: the AWS state must be what was asked."""

import json
import subprocess

import pytest

from conftest import ROOT

PREFIX = "itsupport-dev"
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
    routes = {r["DestinationCidrBlock"]: r for r in rt["Routes"]}
    assert routes["0.0.0.0/0"].get("NetworkInterfaceId") == eni
    assert "192.168.100.0/24" in routes, "a route the playbook does not own was purged"


def test_launch_template_is_persistent_spot_stopped_on_interruption(provisioned):
    data = provisioned.describe_launch_template_versions(
        LaunchTemplateName=f"{PREFIX}-devhost-lt", Versions=["$Latest"])["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    market = data["InstanceMarketOptions"]
    assert market["MarketType"] == "spot"
    assert market["SpotOptions"]["SpotInstanceType"] == "persistent"
    assert market["SpotOptions"]["InstanceInterruptionBehavior"] == "stop"
    assert "MaxPrice" not in market["SpotOptions"], "default must be no max price (on-demand cap)"
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
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


def test_second_run_changes_nothing(moto, provisioned):
    before = {n: i["InstanceId"] for n, i in instances(provisioned).items()}
    rc, out, recap = moto.playbook("playbooks/provision.yml")
    assert rc == 0, out
    assert recap["localhost"]["changed"] == 0, out
    assert {n: i["InstanceId"] for n, i in instances(provisioned).items()} == before
    assert len(provisioned.describe_addresses()["Addresses"]) == 1


def test_check_mode_changes_nothing(moto, provisioned):
    rc, out, recap = moto.playbook("playbooks/provision.yml", "--check", "--diff")
    assert rc == 0, out
    assert recap["localhost"]["changed"] == 0, out


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


def test_teardown_without_confirmation_does_nothing(moto, provisioned):
    rc, out, recap = moto.playbook("playbooks/teardown.yml")
    assert rc != 0
    assert "aws_infra_teardown_confirm" in out
    assert len(instances(provisioned, states=("running",))) == 2
    assert len(provisioned.describe_addresses()["Addresses"]) == 1


def test_teardown_leaves_nothing_billable(moto, provisioned):
    rc, out, recap = moto.playbook("playbooks/teardown.yml", extra_vars={"aws_infra_teardown_confirm": PREFIX})
    assert rc == 0, out
    assert instances(provisioned) == {}
    assert provisioned.describe_addresses()["Addresses"] == []
    assert provisioned.describe_volumes(Filters=[{"Name": "status", "Values": ["available"]}])["Volumes"] == []
    open_requests = provisioned.describe_spot_instance_requests(
        Filters=[{"Name": "state", "Values": ["open", "active", "disabled"]}])["SpotInstanceRequests"]
    assert open_requests == []
    groups = {g["GroupName"] for g in provisioned.describe_security_groups()["SecurityGroups"]}
    assert not groups & {f"{PREFIX}-nat-sg", f"{PREFIX}-devhost-sg"}
    assert provisioned.describe_launch_templates(
        Filters=[{"Name": "launch-template-name", "Values": [f"{PREFIX}-devhost-lt"]}])["LaunchTemplates"] == []
    rt = provisioned.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["itsupport-private-rt"]}])["RouteTables"][0]
    dests = {r["DestinationCidrBlock"] for r in rt["Routes"]}
    assert "0.0.0.0/0" not in dests and "192.168.100.0/24" in dests
