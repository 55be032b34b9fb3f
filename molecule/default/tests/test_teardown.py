"""playbooks/teardown.yml on the lab, last of the site's test files (pytest
reads them in name order; the scenario's destroy step follows): refusals
that come late (after the listing) change nothing, neither in AWS (moto's
state is compared before and after) nor in the bucket; the confirmed run
takes the running dev host's final backup, holding a row written just
before it, and only then deletes."""

import gzip
import os
import uuid

import boto3
import pytest

from labhelpers import lab_ansible, lab_host

HOST = "itsupport-dev-devhost"
PREFIX_NAME = "itsupport-dev"
BUCKET, PREFIX = "itsupport-dev-db-backups", "mysql"
MOTO = "http://127.0.0.1:" + os.environ.get("LAB_MOTO_PORT", "5005")
HOMEPAGE_PW = "lab-only-homepage-pw"


def client(service):
    return boto3.client(service, region_name="ap-northeast-2", endpoint_url=MOTO,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def account():
    """Everything the teardown could delete or write, as moto holds it."""
    ec2 = client("ec2")
    return {
        "instances": sorted((i["InstanceId"], i["State"]["Name"]) for r in ec2.describe_instances()["Reservations"]
                            for i in r["Instances"]),
        "security groups": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
        "addresses": sorted((a["AllocationId"], a.get("InstanceId")) for a in ec2.describe_addresses()["Addresses"]),
        "launch templates": sorted(t["LaunchTemplateName"] for t in ec2.describe_launch_templates()["LaunchTemplates"]),
        "routes": sorted(str(r) for t in ec2.describe_route_tables()["RouteTables"] for r in t["Routes"]),
        "topics": sorted(t["TopicArn"] for t in client("sns").list_topics()["Topics"]),
        "rules": sorted(r["Name"] for r in client("events").list_rules()["Rules"]),
        "roles": sorted(r["RoleName"] for r in client("iam").list_roles()["Roles"]),
        "parameters": sorted(p["Name"] for p in client("ssm").describe_parameters()["Parameters"]),
        "backups": sorted((o["Key"], o["ETag"]) for o in
                          client("s3").list_objects_v2(Bucket=BUCKET, Prefix=PREFIX + "/").get("Contents", [])),
    }


def teardown(*args):
    return lab_ansible("ansible-playbook", "playbooks/teardown.yml", *args, timeout=900)


LATE_REFUSALS = {
    "another environment's name": (["-e", "aws_infra_teardown_confirm=itsupport-prod"],
                                   "To delete the resources listed above, type itsupport-dev"),
    "a backups bucket it does not own": (
        ["-e", f"aws_infra_teardown_confirm={PREFIX_NAME}", "-e", "aws_backup_teardown_delete_backups=someone-elses"],
        "aws_backup_teardown_delete_backups 'someone-elses' does not name the backup bucket"),
}


@pytest.mark.parametrize("case", list(LATE_REFUSALS))
def test_a_late_refusal_changes_nothing(case):
    args, message = LATE_REFUSALS[case]
    before = account()
    res = teardown(*args)
    assert res.returncode != 0, res.output
    assert message in " ".join(res.output.split()), res.output
    assert account() == before
    # Not even a final backup: the dev host's play never ran.
    assert "Run the backup unit" not in res.output, res.output


def test_a_final_backup_that_fails_stops_the_teardown_before_any_deletion():
    """The local copy's directory full (a filled 1 MB tmpfs over it): the
    backup fails, and the confirmed teardown stops, naming the way out."""
    host = lab_host(HOST)
    local = "/var/backups/itsupport-db"
    before = account()
    host.run_expect([0], f"mount -t tmpfs -o size=1m itsupport-full {local}")
    try:
        host.run(f"dd if=/dev/zero of={local}/filler bs=64k")
        res = teardown("-e", f"aws_infra_teardown_confirm={PREFIX_NAME}")
    finally:
        # Until it is gone: a umount refused as busy would leave the full
        # file system under the next backup.
        host.run(f"for i in $(seq 20); do mountpoint -q {local} || break; umount {local} || sleep 1; done; "
                 f"mountpoint -q {local} && umount -l {local}; systemctl reset-failed itsupport-db-backup.service")
    assert host.run(f"mountpoint -q {local}").rc != 0, "the test's tmpfs is still mounted"
    assert res.returncode != 0, res.output
    assert "The dev host's final backup failed, so nothing was deleted" in " ".join(res.output.split()), res.output
    assert account() == before


def test_the_confirmed_teardown_takes_a_final_backup_first_then_deletes():
    host = lab_host(HOST)
    name = "Final" + uuid.uuid4().hex[:8]
    res = host.run("docker run --rm --network itsupport_stack %s mysql -h db -u homepage -p%s homepage -e %s",
                   os.environ["LAB_IMAGE_MYSQL_STANDIN"], HOMEPAGE_PW,
                   f"INSERT INTO legacy_members (name) VALUES ('{name}')")
    assert res.rc == 0, res.stderr
    s3 = client("s3")
    before_latest = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/latest")["Body"].read().decode()
    res = teardown("-e", f"aws_infra_teardown_confirm={PREFIX_NAME}")
    assert res.returncode == 0, res.output + host.run("journalctl -u 'itsupport-db-backup*' -n 40 --no-pager").stdout
    out = res.output
    assert out.index("Run the backup unit") < out.index("Cancel the dev host's persistent Spot request first"), out
    final = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/latest")["Body"].read().decode()
    assert final != before_latest
    dump = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=final)["Body"].read()).decode()
    assert name in dump
    # Then the deletions: no live instance of the project, the backups kept.
    live = [i for r in client("ec2").describe_instances(Filters=[{"Name": "tag:Project", "Values": ["itsupport"]}])
            ["Reservations"] for i in r["Instances"] if i["State"]["Name"] != "terminated"]
    assert live == []
    assert final in [k for k, _ in account()["backups"]]
