"""Provisioning meets a dev host that changed under it (a moto account of
its own: these tests leave launch template versions that moto cannot delete,
and a Spot dev host EC2 holds stopped)."""

import pytest

from test_provision import PREFIX, TAGS, instances


@pytest.fixture(scope="module")
def provisioned(moto):
    rc, out, recap = moto.playbook("playbooks/provision.yml")
    assert rc == 0, out
    return moto.client()


def test_a_launch_template_change_applies_at_the_next_replacement(moto, provisioned):
    """A new instance type goes into a new launch template version; the
    running dev host keeps what it was launched with, and the run says so."""
    dev = instances(provisioned)[f"{PREFIX}-devhost"]
    try:
        rc, out, _ = moto.playbook("playbooks/provision.yml", "--tags", "aws_devhost",
                                   extra_vars={"aws_infra_devhost_instance_type": "t4g.large"})
        assert rc == 0, out
        assert "keeps its instance type and volume; the change applies at the next replacement" in " ".join(out.split())
        latest = provisioned.describe_launch_template_versions(
            LaunchTemplateName=f"{PREFIX}-devhost-lt", Versions=["$Latest"])["LaunchTemplateVersions"][0]
        assert latest["LaunchTemplateData"]["InstanceType"] == "t4g.large"
        now = instances(provisioned)[f"{PREFIX}-devhost"]
        assert (now["InstanceId"], now["InstanceType"]) == (dev["InstanceId"], "t4g.medium")
    finally:
        rc, out, _ = moto.playbook("playbooks/provision.yml", "--tags", "aws_devhost")
        assert rc == 0, out


def test_provisioning_leaves_a_stopped_spot_dev_host_to_ec2(moto, provisioned):
    """EC2 alone restarts a Spot instance it stopped: provision.yml must not
    call StartInstances on it (nor launch a second dev host) and still
    provisions everything else. The dev host is replaced here by a Spot
    instance (moto gives launch-template instances no Spot lifecycle)."""
    dev = instances(provisioned)[f"{PREFIX}-devhost"]
    provisioned.terminate_instances(InstanceIds=[dev["InstanceId"]])
    spot = provisioned.run_instances(
        ImageId=dev["ImageId"], InstanceType="t4g.medium", MinCount=1, MaxCount=1, SubnetId=dev["SubnetId"],
        InstanceMarketOptions={"MarketType": "spot", "SpotOptions": {
            "SpotInstanceType": "persistent", "InstanceInterruptionBehavior": "stop"}},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [
            {"Key": k, "Value": v} for k, v in dict(TAGS, Name=f"{PREFIX}-devhost", Role="devhost").items()]}],
    )["Instances"][0]["InstanceId"]
    provisioned.stop_instances(InstanceIds=[spot])
    nat = instances(provisioned)[f"{PREFIX}-nat"]["InstanceId"]
    provisioned.stop_instances(InstanceIds=[nat])
    rc, out, _ = moto.playbook("playbooks/provision.yml", "--tags", "aws_nat,aws_devhost")
    assert rc == 0, out
    assert f"The dev host {spot} is a Spot instance and is stopped" in " ".join(out.split()), out
    now = instances(provisioned)
    assert now[f"{PREFIX}-devhost"]["InstanceId"] == spot
    assert now[f"{PREFIX}-devhost"]["State"]["Name"] == "stopped"
    # Everything else was still provisioned: the on-demand NAT runs again.
    assert now[f"{PREFIX}-nat"]["State"]["Name"] == "running"


def test_recover_replaces_a_dev_host_ec2_holds_stopped(moto, provisioned, tmp_path):
    """recover.yml's replace action (a dev host EC2 has held stopped longer
    than recover_replace_if_stopped_for) on the plan the decision table gives
    for it: the root volume is kept as a snapshot, the held instance loses
    the dev host's name, a new dev host is launched from the template."""
    from test_provision import recover_action
    old = instances(provisioned)[f"{PREFIX}-devhost"]
    provisioned.terminate_instances(InstanceIds=[old["InstanceId"]])  # the previous test's Spot host
    rc, out, _ = moto.playbook("playbooks/provision.yml", "--tags", "aws_devhost")
    assert rc == 0, out
    held = instances(provisioned)[f"{PREFIX}-devhost"]
    provisioned.stop_instances(InstanceIds=[held["InstanceId"]])
    root = [m for m in held["BlockDeviceMappings"] if m["DeviceName"] == held["RootDeviceName"]][0]
    # What ec2_instance_info reported about it (the fields replace.yml reads).
    tagged = {"instances": [{"instance_id": held["InstanceId"], "root_device_name": held["RootDeviceName"],
                             "block_device_mappings": [{"device_name": root["DeviceName"],
                                                        "ebs": {"volume_id": root["Ebs"]["VolumeId"]}}]}]}
    plan = {"action": "replace", "instance_id": held["InstanceId"], "stopped_minutes": 75,
            "found": "stopped by EC2 (instance-stopped-no-capacity) for 75 min"}
    rc, out, _ = recover_action(moto, tmp_path, plan, __recover_tagged=tagged)
    assert rc == 0, out
    snaps = provisioned.describe_snapshots(Filters=[{"Name": "volume-id", "Values": [root["Ebs"]["VolumeId"]]}])
    assert len(snaps["Snapshots"]) == 1
    assert {t["Key"]: t["Value"] for t in snaps["Snapshots"][0]["Tags"]}["InstanceId"] == held["InstanceId"]
    now = instances(provisioned)
    assert now[f"{PREFIX}-devhost-replaced"]["InstanceId"] == held["InstanceId"]
    assert now[f"{PREFIX}-devhost"]["InstanceId"] != held["InstanceId"]
    assert now[f"{PREFIX}-devhost"]["State"]["Name"] == "running"
