"""playbooks/recover.yml in the lab, row by row of its decision table where
the lab can put AWS in that state (moto models no Spot interruption: the
EC2-held, relaunched and marked-for-stop rows are driven with recorded facts
in tests/test_recover_decision.py). Each test checks effects: which instance
runs, the route, the stack, the rows. The last one leaves a replaced dev
host, on which the rest of the site's tests then run."""

import json
import os
import time

import boto3
import pytest

from labhelpers import (InstancePower, docker, lab_ansible, lab_host, live_instances, moto_ec2,
                        replace_machine, run_fresh_backup, wait_for)

NAT, DEVHOST = "itsupport-dev-nat", "itsupport-dev-devhost"
HOMEPAGE_PW = "lab-only-homepage-pw"
RULE = "itsupport-dev-alerts"


@pytest.fixture(scope="module")
def ec2():
    return moto_ec2()


def recover(*args):
    """Run recover.yml; .summary is its one-line summary, unwrapped."""
    res = lab_ansible("ansible-playbook", "playbooks/recover.yml", *args, timeout=900)
    lines, summary = res.output.splitlines(), []
    for i, line in enumerate(lines):
        if "recover: dev host" in line:
            summary = [line]
            for more in lines[i + 1:]:
                if not more.startswith("        "):
                    break
                summary.append(more)
    res.summary = " ".join(" ".join(summary).replace("msg:", "").strip(" '").split())
    return res


def sql(host, statement):
    return host.run("docker run --rm --network itsupport_stack %s mysql -h db -u homepage -p%s -N -B homepage -e %s",
                    os.environ["LAB_IMAGE_MYSQL_STANDIN"], HOMEPAGE_PW, statement)


def members(host):
    res = sql(host, "SELECT name FROM legacy_members ORDER BY id")
    assert res.rc == 0, res.stderr
    return res.stdout.split()


def healthy(host):
    states = [host.run("docker inspect --format '{{.State.Health.Status}}' %s", f"itsupport-{s}-1").stdout.strip()
              for s in ("db", "council", "homepage")]
    return all(s == "healthy" for s in states)


def private_default_route(ec2):
    table = ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["itsupport-private-rt"]}])
    # Routes to a prefix list (the S3 gateway endpoint's) have no CIDR.
    return {r.get("DestinationCidrBlock"): r.get("NetworkInterfaceId")
            for r in table["RouteTables"][0]["Routes"]}.get("0.0.0.0/0")


def instance(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def alert_instances(ec2):
    events = boto3.client("events", region_name="ap-northeast-2", endpoint_url=ec2.meta.endpoint_url,
                                        aws_access_key_id="testing", aws_secret_access_key="testing")
    return set(json.loads(events.describe_rule(Name=RULE)["EventPattern"])["detail"]["instance-id"])


def test_a_healthy_environment_is_left_alone(ec2):
    before = live_instances(ec2, DEVHOST)
    res = recover()
    assert res.returncode == 0, res.output
    assert all(counts["changed"] == 0 for counts in res.recap.values()), res.output
    assert "found: running, stack healthy | action: none" in res.summary, res.summary
    assert live_instances(ec2, DEVHOST) == before
    check = recover("--check", "--diff")
    assert check.returncode == 0, check.output
    assert all(counts["changed"] == 0 for counts in check.recap.values()), check.output


def test_two_live_dev_hosts_are_refused_and_named(ec2):
    dev = live_instances(ec2, DEVHOST)[0]
    subnet = instance(ec2, dev)["SubnetId"]
    orphan = ec2.run_instances(
        ImageId=instance(ec2, dev)["ImageId"], InstanceType="t4g.medium", MinCount=1, MaxCount=1, SubnetId=subnet,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [
            {"Key": "Name", "Value": DEVHOST}, {"Key": "Project", "Value": "itsupport"}]}])["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[orphan])
    try:
        res = recover()
        assert res.returncode != 0
        assert dev in res.output and orphan in res.output, res.output
        assert "more than one live instance claims to be the dev host" in " ".join(res.output.split())
        # Nothing was started, stopped or terminated.
        assert instance(ec2, orphan)["State"]["Name"] == "stopped"
        assert instance(ec2, dev)["State"]["Name"] == "running"
    finally:
        ec2.terminate_instances(InstanceIds=[orphan])


def test_a_dev_host_a_person_stopped_is_started_and_healthy(ec2):
    host = lab_host(DEVHOST)
    before_rows = members(host)
    dev = live_instances(ec2, DEVHOST)[0]
    ec2.stop_instances(InstanceIds=[dev])
    docker("stop", DEVHOST)  # the machine goes down with its instance
    with InstancePower(ec2, DEVHOST):
        res = recover()
    assert res.returncode == 0, res.output
    assert f"dev host {dev} | found: stopped by a person" in res.summary, res.summary
    assert "action: start" in res.summary and "data: not restored" in res.summary, res.summary
    assert instance(ec2, dev)["State"]["Name"] == "running"
    assert healthy(host)
    assert members(host) == before_rows


def test_a_replaced_nat_and_dev_host_come_back_with_the_route_firewall_and_data(ec2):
    """Both instances terminated and replaced by new machines (empty disks,
    new host keys): recover.yml provisions both, moves the Elastic IP and the
    private route to the new NAT, converges the NAT first (the dev host's
    SSH and its apt both go through it), then the dev host, and restores the
    newest backup."""
    host = lab_host(DEVHOST)
    name = "Recovered" + str(int(time.time()))
    assert sql(host, f"INSERT INTO legacy_members (name) VALUES ('{name}')").rc == 0
    assert run_fresh_backup(host).rc == 0
    rows = members(host)
    old_nat, old_dev = live_instances(ec2, NAT)[0], live_instances(ec2, DEVHOST)[0]
    old_eni = private_default_route(ec2)
    ec2.terminate_instances(InstanceIds=[old_nat, old_dev])
    replace_machine(NAT, DEVHOST)
    assert not host.file("/opt/itsupport/stack").exists
    assert "MASQUERADE" not in lab_host(NAT).check_output("iptables -t nat -S POSTROUTING || true")

    res = recover()
    assert res.returncode == 0, res.output
    new_nat, new_dev = live_instances(ec2, NAT), live_instances(ec2, DEVHOST)
    assert len(new_nat) == 1 and new_nat[0] != old_nat
    assert len(new_dev) == 1 and new_dev[0] != old_dev
    # The NAT: the same Elastic IP, the private route on its new interface.
    new_eni = instance(ec2, new_nat[0])["NetworkInterfaces"][0]["NetworkInterfaceId"]
    assert private_default_route(ec2) == new_eni != old_eni
    addresses = ec2.describe_addresses()["Addresses"]
    assert [a.get("InstanceId") for a in addresses] == [new_nat[0]]
    assert "MASQUERADE" in lab_host(NAT).check_output("iptables -t nat -S POSTROUTING")
    nat_play = res.output.index("Converge a replaced NAT instance first")
    assert res.output.index("nat_instance : ", nat_play) < res.output.index("Probe the stack")
    # The dev host: converged, its data back from the backup.
    assert f"dev host {new_dev[0]} | found: terminated | action: provision + converge" in res.summary, res.summary
    assert "data: restored from s3://itsupport-dev-db-backups/mysql/" in res.summary, res.summary
    wait_for(lambda: healthy(host), timeout=120, what="the stack on the replacement")
    assert members(host) == rows and name in rows
    # The newest backup, not the RDS dump: the dump's rows appear once.
    assert rows.count("Ada") == 1, rows
    # The admins' alerts follow the new instances.
    assert alert_instances(ec2) == {new_nat[0], new_dev[0]}
    # And a second run finds everything healthy and changes nothing.
    again = recover()
    assert again.returncode == 0, again.output
    assert all(counts["changed"] == 0 for counts in again.recap.values()), again.output
    assert "found: running, stack healthy | action: none" in again.summary, again.summary
