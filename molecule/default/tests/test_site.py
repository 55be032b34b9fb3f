"""The whole site after `site.yml`, checked by its effects: the inventory,
the production-like SSH path, egress through the NAT, the stack and its
published apps, and the AWS state in the lab's moto."""

import concurrent.futures
import json
import os
import re
import subprocess
import urllib.request

import boto3
import pytest

from labhelpers import http_get, lab_ansible, lab_host, wait_for

ROOT = os.environ["PROJECT_ROOT"]
MOTO = "http://127.0.0.1:" + os.environ.get("LAB_MOTO_PORT", "5005")
NAT, DEVHOST = "itsupport-dev-nat", "itsupport-dev-devhost"
NAT_PUBLIC, NAT_PRIVATE, DEVHOST_IP, CONTROLLER = "10.20.1.10", "10.20.2.10", "10.20.2.30", "10.20.1.1"
ECHO_URL = "http://10.20.1.100:8080/"


def ansible(tool, *args, control_dir=None, report=False):
    return lab_ansible(tool, *args, control_dir=control_dir, report=report)


@pytest.fixture(scope="module")
def devhost():
    return lab_host(DEVHOST)


@pytest.fixture(scope="module")
def nat():
    return lab_host(NAT)


@pytest.fixture(scope="module")
def ec2():
    return boto3.client("ec2", region_name="ap-northeast-2", endpoint_url=MOTO,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_inventory_groups_hold_exactly_the_lab_hosts():
    res = ansible("ansible-inventory", "--list")
    assert res.returncode == 0, res.stderr
    inv = json.loads(res.stdout)
    assert inv["nat"]["hosts"] == [NAT]
    assert inv["devhost"]["hosts"] == [DEVHOST]
    hosts = set(inv["_meta"]["hostvars"])
    assert hosts == {NAT, DEVHOST}, f"unexpected hosts in the lab inventory: {hosts}"


def ssh_connection(host):
    """SSH_CONNECTION as seen by a command Ansible runs on host:
    (client address, server address)."""
    res = ansible("ansible", host, "-m", "ansible.builtin.command", "-a", "printenv SSH_CONNECTION")
    assert res.returncode == 0, res.stdout + res.stderr
    fields = res.stdout.strip().splitlines()[-1].split()
    return fields[0], fields[2]


def test_nat_is_reached_over_ssh_from_the_controller():
    assert ssh_connection(NAT) == (CONTROLLER, NAT_PUBLIC)


def test_devhost_is_reached_over_ssh_through_the_nat(devhost):
    # The dev host sees the SSH connection come from the NAT's private
    # address: the NAT is the jump host, as in production.
    assert ssh_connection(DEVHOST) == (NAT_PRIVATE, DEVHOST_IP)
    log = devhost.check_output("journalctl -u ssh --no-pager -o cat")
    assert f"Accepted publickey for admin from {NAT_PRIVATE}" in log


def fake_known_hosts(tmp_path, nat_key, devhost_key):
    path = tmp_path / "known_hosts"
    path.write_text(f"{NAT_PUBLIC} {nat_key}\n{DEVHOST_IP} {devhost_key}\n")
    return str(path)


def host_key(container):
    return lab_host(container).check_output("cat /etc/ssh/ssh_host_ed25519_key.pub").split()[:2]


def foreign_key(tmp_path, name):
    key = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return " ".join(key.with_suffix(".pub").read_text().split()[:2])


@pytest.mark.parametrize("wrong", [NAT, DEVHOST])
def test_a_host_key_that_does_not_match_is_refused(tmp_path, wrong):
    """With a known_hosts whose entry for one host is another machine's key,
    Ansible must refuse to connect to it (and, for the NAT, to the dev host
    behind it): host keys are checked on the target and on the jump."""
    keys = {NAT: " ".join(host_key(NAT)), DEVHOST: " ".join(host_key(DEVHOST))}
    keys[wrong] = foreign_key(tmp_path, "impostor")
    known = fake_known_hosts(tmp_path, keys[NAT], keys[DEVHOST])
    for target in ([NAT, DEVHOST] if wrong == NAT else [DEVHOST]):
        res = ansible("ansible", target, "-m", "ansible.builtin.ping", "-e", f"lab_known_hosts={known}",
                      control_dir=tmp_path)
        out = res.stdout + res.stderr
        assert res.returncode != 0, out
        assert "UNREACHABLE" in out, out
        if target == wrong:
            assert "Host key verification failed" in out, out
        # else: the jump through the NAT was refused, so the dev host's own
        # handshake never began (ssh reports the closed proxy connection).
    # The same command with the lab's real known_hosts gets through.
    res = ansible("ansible", DEVHOST, "-m", "ansible.builtin.ping", control_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_an_unknown_host_is_not_trusted_on_first_use(tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    res = ansible("ansible", NAT, "-m", "ansible.builtin.ping", "-e", f"lab_known_hosts={empty}",
                  control_dir=tmp_path)
    assert res.returncode != 0, res.stdout
    assert empty.read_text() == "", "an unknown host key was written to known_hosts"


def masqueraded_packets(nat):
    """Packets counted by the NAT's MASQUERADE rule for the private subnet."""
    for line in nat.check_output("iptables -t nat -L POSTROUTING -n -v -x").splitlines():
        if "MASQUERADE" in line and "10.20.2.0/24" in line:
            return int(line.split()[0])
    raise AssertionError("no MASQUERADE rule for 10.20.2.0/24 on the NAT")


def test_devhost_egress_leaves_through_the_nat(devhost, nat):
    assert f"default via {NAT_PRIVATE}" in devhost.check_output("ip route show default")
    before = masqueraded_packets(nat)
    ok, seen = http_get(devhost, ECHO_URL)
    assert ok, seen
    assert seen == NAT_PUBLIC, f"the internet host saw {seen}, not the NAT's public address"
    assert masqueraded_packets(nat) > before


def test_apt_works_on_both_hosts_the_devhost_through_the_nat(devhost, nat):
    """The package archive is reachable: from the NAT directly, from the dev
    host only through the NAT (its connections are masqueraded)."""
    assert nat.run("apt-get -q update").rc == 0
    before = masqueraded_packets(nat)
    res = devhost.run("apt-get -q update")
    assert res.rc == 0, res.stderr
    assert masqueraded_packets(nat) > before, "the dev host's apt traffic did not pass the NAT"


def test_stack_is_healthy_and_restarts_unless_stopped(devhost):
    names = devhost.check_output("docker ps --all --format '{{.Names}}'").split()
    assert sorted(names) == ["itsupport-council-1", "itsupport-db-1", "itsupport-homepage-1"]
    for name in names:
        state = json.loads(devhost.check_output(
            "docker inspect --format '{{json .State.Health.Status}}' %s", name))
        assert state == "healthy", f"{name} is {state}"
        policy = devhost.check_output("docker inspect --format '{{.HostConfig.RestartPolicy.Name}}' %s", name)
        assert policy == "unless-stopped", name


@pytest.mark.parametrize("url, expect", [
    ("http://127.0.0.1:8080/actuator/health", '"status":"UP"'),
    ("http://127.0.0.1:8000/health/", "ok"),
])
def test_apps_answer_on_their_published_ports(url, expect):
    """Published by the dev host's stack and by the lab on this machine's
    loopback, as `make lab` prints them."""
    def get():
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read().decode()
        except OSError:
            return None
    status, body = wait_for(get, timeout=60, what=url)
    assert status == 200 and expect in body, body


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def test_aws_side_holds_what_provisioning_promised(ec2):
    res = ec2.describe_instances(Filters=[{"Name": "tag:Project", "Values": ["itsupport"]},
                                          {"Name": "instance-state-name", "Values": ["running"]}])
    inst = {tags(i)["Name"]: i for r in res["Reservations"] for i in r["Instances"]}
    assert set(inst) == {NAT, DEVHOST}
    assert inst[NAT]["InstanceType"] == "t4g.micro"
    assert inst[DEVHOST]["InstanceType"] == "t4g.medium"
    assert tags(inst[NAT])["Role"] == "nat" and tags(inst[DEVHOST])["Role"] == "devhost"
    for i in inst.values():
        assert tags(i)["ManagedBy"] == "ansible" and tags(i)["Environment"] == "dev"
    # The NAT forwards: source/dest check off, and the private subnet's
    # default route goes to its network interface.
    attr = ec2.describe_instance_attribute(InstanceId=inst[NAT]["InstanceId"], Attribute="sourceDestCheck")
    assert attr["SourceDestCheck"]["Value"] is False
    eni = inst[NAT]["NetworkInterfaces"][0]["NetworkInterfaceId"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["itsupport-private-rt"]}])
    routes = tables["RouteTables"][0]["Routes"]
    assert {"0.0.0.0/0": eni} == {r["DestinationCidrBlock"]: r.get("NetworkInterfaceId")
                                  for r in routes if r.get("DestinationCidrBlock") == "0.0.0.0/0"}
    # The dev host comes from a launch template that makes it a persistent
    # Spot instance, stopped (not terminated) on interruption.
    template = ec2.describe_launch_template_versions(LaunchTemplateName="itsupport-dev-devhost-lt",
                                                    Versions=["$Latest"])["LaunchTemplateVersions"][0]
    spot = template["LaunchTemplateData"]["InstanceMarketOptions"]
    assert spot["MarketType"] == "spot"
    assert spot["SpotOptions"]["SpotInstanceType"] == "persistent"
    assert spot["SpotOptions"]["InstanceInterruptionBehavior"] == "stop"
    # The dev host has no public address: reached only through the NAT.
    assert not inst[DEVHOST].get("PublicIpAddress")
    # No security group opens MySQL.
    for group in ec2.describe_security_groups()["SecurityGroups"]:
        for perm in group["IpPermissions"]:
            assert not (perm.get("FromPort", -1) <= 3306 <= perm.get("ToPort", -1)), group["GroupName"]


def ssh_sources(ec2, group_name):
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [group_name]}])["SecurityGroups"][0]
    return sorted(r["CidrIp"] for p in group["IpPermissions"] if p.get("FromPort") == 22 for r in p.get("IpRanges", []))


def test_an_admin_who_moved_is_not_locked_out(ec2, nat):
    """The admins' address changes (admin_cidrs no longer holds the address
    the controller connects from, as when the club's admin moves): the
    security group takes the new list over the AWS API, and the NAT, still
    reached over SSH, converges; its own firewall never held the old list."""
    moved = ["198.51.100.7/32"]
    group = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["itsupport-dev-nat-sg"]}])["SecurityGroups"][0]["GroupId"]
    try:
        res = ansible("ansible-playbook", "site.yml", "--tags", "aws_security_groups,nat_instance",
                      "-e", json.dumps({"admin_cidrs": moved}))
        assert res.returncode == 0, res.output
        assert ssh_sources(ec2, "itsupport-dev-nat-sg") == moved
        assert CONTROLLER not in nat.check_output("iptables -S INPUT"), "the NAT's firewall names an admin address"
    finally:
        # Put the lab's admin network back over the API (the no-change runs
        # below would report any difference from what provisioning makes).
        for cidrs, call in ((moved, ec2.revoke_security_group_ingress), (["10.20.1.0/24"], ec2.authorize_security_group_ingress)):
            try:
                call(GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                                     "IpRanges": [{"CidrIp": c, "Description": "SSH from the admins"}
                                                                  for c in cidrs]}])
            except ec2.exceptions.ClientError:
                pass
    assert ssh_sources(ec2, "itsupport-dev-nat-sg") == ["10.20.1.0/24"]


HALLMARKS = {
    "nat_instance": "nat_instance : Apply the candidate rules to the running firewall, ipv4",
    "docker": "docker : Write /etc/docker/daemon.json",
    "app_stack": "app_stack : Run docker compose up and wait, every service",
    "db_backup": "db_backup : Start the backup timer",
    "provision": "aws_infra : Run the dev host from the launch template",
}


PLAY_TAGS = ["nat_instance", "docker", "app_stack", "db_backup"]


@pytest.fixture(scope="module")
def no_change_runs(tmp_path_factory):
    """The no-change runs of site.yml with every task (each play tag alone,
    and --check --diff), started together: none of them changes anything, so they can
    share the site, and together they take a third of the time. Each has
    its own SSH control sockets."""
    # Every task (full_run): the modules themselves must find nothing to
    # change; the everyday run, which skips them, is tested below.
    runs = {tag: ("--tags", tag, "-e", "full_run=true") for tag in PLAY_TAGS}
    runs["check"] = ("--check", "--diff", "-e", "full_run=true")
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        futures = {name: pool.submit(ansible, "ansible-playbook", "site.yml", *args,
                                     control_dir=tmp_path_factory.mktemp(f"cp-{name}"))
                   for name, args in runs.items()}
        return {name: future.result() for name, future in futures.items()}


# `provision` is all of provision.yml, run alone in tests/test_provision.py.
@pytest.mark.parametrize("tag", PLAY_TAGS)
def test_each_play_tag_runs_alone(no_change_runs, tag):
    """`site.yml --tags TAG` runs that part and no other (only the
    always-tagged checks and facts of its own role), makes no AWS call (no
    provisioning task runs, not even its checks or lock), and changes
    nothing on a converged site."""
    res = no_change_runs[tag]
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert HALLMARKS[tag] in out, f"--tags {tag} did not run its own tasks"
    provisioning = sorted(set(re.findall(r"TASK \[(aws_infra|aws_backup) : ([^\]]+)\]", out)))
    assert not provisioning, f"--tags {tag} ran provisioning tasks: {provisioning}"
    for other, task in HALLMARKS.items():
        if other != tag:
            assert task not in out, f"--tags {tag} also ran {task}"
    recap = [line for line in out.splitlines() if " : ok=" in line]
    assert recap and all("changed=0" in line for line in recap), "\n".join(recap)


def test_check_mode_reports_no_change(no_change_runs):
    res = no_change_runs["check"]
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    recap = [line for line in out.splitlines() if " : ok=" in line]
    assert len(recap) == 3, out
    assert all("changed=0" in line for line in recap), "\n".join(recap)


ALL_ROLES = ["app_stack", "aws_backup", "aws_infra", "db_backup", "docker", "nat_instance"]


def skipped_roles(res):
    """The roles whose converge check found everything as wanted and
    recorded (so their tasks were skipped), from the returned data."""
    return sorted(role for role, (checked, _) in converge_checks(res).items() if checked and checked["converged"])


ROOT_PW = "lab-only-root-pw"


def converge_checks(res):
    """{role: (the converge check's result, the record's result)} of a
    playbook run reported with report=True: the returned data of
    host_converged_state and aws_converged_state, not the output's words."""
    out = {}
    for row in res.report:
        result = row["result"]
        args = (result.get("invocation") or {}).get("module_args") or {}
        if row["status"] == "skipped" or "digest" not in result or "converged" not in result:
            continue
        role = row["task"].split(" : ", 1)[0]
        checked, recorded = out.get(role, (None, None))
        if args.get("state") == "recorded":
            recorded = result
        else:
            checked = result
        out[role] = (checked, recorded)
    return out


# Hand changes across the four host roles, each (host, command, check that
# the run put it back). The checks read the hosts themselves.
DRIFT = [
    ("nat", "iptables -t nat -F POSTROUTING", lambda n, d: "MASQUERADE" in n.check_output("iptables -t nat -S POSTROUTING")),
    ("nat", "sysctl -w net.ipv4.ip_forward=0", lambda n, d: n.check_output("cat /proc/sys/net/ipv4/ip_forward") == "1"),
    ("nat", "sysctl -w net.ipv4.conf.all.rp_filter=1", lambda n, d: n.check_output("cat /proc/sys/net/ipv4/conf/all/rp_filter") == "2"),
    ("nat", "chmod 0644 /etc/iptables/rules.v4", lambda n, d: n.file("/etc/iptables/rules.v4").mode == 0o640),
    ("nat", "systemctl disable netfilter-persistent", lambda n, d: n.service("netfilter-persistent").is_enabled),
    ("devhost", "chmod 0700 /etc/docker", lambda n, d: d.file("/etc/docker").mode == 0o755),
    ("devhost", "chmod 0600 /etc/docker/daemon.json", lambda n, d: d.file("/etc/docker/daemon.json").mode == 0o644),
    ("devhost", "useradd --no-create-home mallory && gpasswd --add mallory docker",
     lambda n, d: "mallory" not in d.check_output("getent group docker")),
    ("devhost", "docker update --restart=no itsupport-homepage-1",
     lambda n, d: d.check_output("docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' itsupport-homepage-1") == "unless-stopped"),
    ("devhost", "docker update --memory 300m --memory-swap 300m itsupport-council-1",
     lambda n, d: d.check_output("docker inspect -f '{{.HostConfig.Memory}}' itsupport-council-1") != str(300 * 1024 * 1024)),
    ("devhost", "docker stop itsupport-homepage-1",
     lambda n, d: d.check_output("docker inspect -f '{{.State.Health.Status}}' itsupport-homepage-1") == "healthy"),
    ("devhost", "chmod 0644 /opt/itsupport/stack/secrets/db.env",
     lambda n, d: d.file("/opt/itsupport/stack/secrets/db.env").mode == 0o600),
    ("devhost", f"docker exec -e MYSQL_PWD={ROOT_PW} itsupport-db-1 mysql -uroot -e "
                "\"REVOKE ALL PRIVILEGES ON homepage.* FROM 'homepage'@'172.30.0.0/255.255.255.0'\"",
     lambda n, d: "ON `homepage`.*" in d.check_output(
         f"docker exec -e MYSQL_PWD={ROOT_PW} itsupport-db-1 mysql -uroot -N -B -e "
         "\"SHOW GRANTS FOR 'homepage'@'172.30.0.0/255.255.255.0'\"")),
    ("devhost", f"docker exec -e MYSQL_PWD={ROOT_PW} itsupport-db-1 mysql -uroot -e "
                "\"DROP USER 'council'@'172.30.0.0/255.255.255.0'\"",
     lambda n, d: d.check_output(f"docker exec -e MYSQL_PWD={ROOT_PW} itsupport-db-1 mysql -uroot -N -B -e "
                                 "\"SELECT COUNT(*) FROM mysql.user WHERE User='council'\"") == "1"),
    ("devhost", "systemctl disable --now itsupport-db-backup.timer",
     lambda n, d: d.service("itsupport-db-backup.timer").is_enabled and d.service("itsupport-db-backup.timer").is_running),
    ("devhost", "chmod 0644 /etc/itsupport-db-backup/client.cnf",
     lambda n, d: d.file("/etc/itsupport-db-backup/client.cnf").mode == 0o600),
    ("devhost", "rm /usr/local/sbin/itsupport-db-backup",
     lambda n, d: d.file("/usr/local/sbin/itsupport-db-backup").mode == 0o755),
]
HOST_ROLES = ["app_stack", "db_backup", "docker", "nat_instance"]


def test_a_battery_of_hand_changes_is_put_back_by_one_plain_run_and_the_next_run_skips_every_role(nat, devhost):
    """Seventeen hand changes across the four host roles (firewall rules and
    sysctls, files and their modes, units and timers, the docker group,
    containers' effective settings, database accounts and grants); one
    plain site.yml puts every one back (each host role found its host
    different from what it wants, ran and recorded; the AWS roles, which
    nothing changed, still skip), and the next run, the everyday no-change
    run, skips every role and changes nothing."""
    hosts = {"nat": nat, "devhost": devhost}
    try:
        for where, command, _ in DRIFT:
            hosts[where].run_expect([0], command)
        res = ansible("ansible-playbook", "site.yml", report=True)
        assert res.returncode == 0, res.output
        checks = converge_checks(res)
        for role in HOST_ROLES:
            checked, recorded = checks[role]
            assert checked["converged"] is False, role
            # The record step ran and found nothing that differs (written
            # now, or already equal to what the host is put back to).
            assert recorded is not None and recorded["differences"] == [], role
            assert recorded["recorded"] or recorded["reason"] == "already recorded", role
            assert checked["digest"] != recorded["digest"], f"{role}: the run put nothing back"
        assert skipped_roles(res) == ["aws_backup", "aws_infra"], res.output
        # The containers changed by hand are the ones the settings check named.
        assert set(checks["app_stack"][0]["services"]) >= {"homepage", "council"}
        not_back = [command for _, command, put_back in DRIFT if not put_back(nat, devhost)]
        assert not not_back, f"not put back: {not_back}"
    finally:
        devhost.run("userdel mallory")
    res = ansible("ansible-playbook", "site.yml", report=True)
    assert res.returncode == 0, res.output
    assert all(counts["changed"] == 0 for counts in res.recap.values()), res.output
    assert skipped_roles(res) == ALL_ROLES, res.output
