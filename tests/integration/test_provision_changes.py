"""Provisioning meets an environment that changed under it, or another
admin (a moto account of its own: these tests leave launch template versions
that moto cannot delete, and a Spot dev host EC2 holds stopped)."""

import concurrent.futures
import datetime
import json
import subprocess
import sys

import pytest

from labhelpers import ROOT
from test_provision import PREFIX, TAGS, instances, tags

LOCK = "/itsupport/dev/provision-lock"


@pytest.fixture(scope="module")
def two_admins(moto):
    """Two admins start provision.yml on the empty account at the same time."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(moto.playbook, "playbooks/provision.yml", extra_vars={"aws_infra_lock_owner": owner})
                for owner in ("alice@club-laptop", "bob@library-pc")]
        return [run.result() for run in runs]


@pytest.fixture(scope="module")
def provisioned(moto, two_admins):
    for rc, out, _ in two_admins:
        assert rc == 0, out
    return moto.client()


def lock_holder(moto):
    try:
        return json.loads(moto.client("ssm").get_parameter(Name=LOCK)["Parameter"]["Value"])
    except moto.client("ssm").exceptions.ParameterNotFound:
        return None


def test_two_admins_at_once_make_one_of_each_the_second_waits(moto, provisioned, two_admins):
    live = [tags(i)["Name"] for r in provisioned.describe_instances(Filters=[
        {"Name": "tag:Project", "Values": ["itsupport"]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])["Reservations"]
        for i in r["Instances"]]
    assert sorted(live) == [f"{PREFIX}-devhost", f"{PREFIX}-nat"]
    assert len(provisioned.describe_addresses()["Addresses"]) == 1
    # One made everything; the other waited for its lock, then found
    # everything made (without the lock both would create).
    changed = sorted(recap["localhost"]["changed"] for _, _, recap in two_admins)
    assert changed[0] == 0 < changed[1], [out for _, out, _ in two_admins]
    assert lock_holder(moto) is None, "the lock outlived the runs"


def test_a_run_refuses_while_another_admin_holds_the_lock(moto, provisioned):
    since = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    moto.client("ssm").put_parameter(Name=LOCK, Type="String",
                                     Value=json.dumps({"owner": "carol@home", "since": since}))
    try:
        before = {n: i["InstanceId"] for n, i in instances(provisioned).items()}
        rc, out, _ = moto.playbook("playbooks/provision.yml", extra_vars={"aws_infra_lock_wait": 2})
        assert rc != 0, out
        assert f"carol@home has been changing this environment since {since}" in " ".join(out.split()), out
        assert {n: i["InstanceId"] for n, i in instances(provisioned).items()} == before
        assert lock_holder(moto)["owner"] == "carol@home"
    finally:
        moto.client("ssm").delete_parameter(Name=LOCK)


def run_lock(moto, **args):
    """The lock module alone (the project's plugins/modules), on localhost."""
    args = {"name": LOCK, "region": "ap-northeast-2", "endpoint_url": moto.url,
            "access_key": "testing", "secret_key": "testing", **args}
    res = subprocess.run(
        ["ansible", "localhost", "-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}",
         "-m", "aws_run_lock", "-a", json.dumps(args)],
        capture_output=True, text=True, cwd=ROOT, env=dict(__import__("os").environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")))
    return res.returncode, res.stdout + res.stderr


def test_a_lock_left_by_a_dead_run_is_taken_over_and_released(moto):
    old = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)).isoformat(timespec="seconds")
    moto.client("ssm").put_parameter(Name=LOCK, Type="String", Value=json.dumps({"owner": "dave@gone", "since": old}))
    rc, out = run_lock(moto, owner="erin@here", stale_after=60)
    assert rc == 0, out
    assert "Taking over the lock" in out and "dave@gone" in out, out
    assert lock_holder(moto)["owner"] == "erin@here"
    rc, out = run_lock(moto, owner="erin@here", state="released")
    assert rc == 0, out
    assert lock_holder(moto) is None


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
