"""Effects of the nat_instance role, seen from the hosts around it."""

import pytest

from labhelpers import (assert_check_mode_clean, assert_refused_before_any_change, http_get, lab_host,
                        restart_container, run_playbook, scenario_playbook, wait_for)

testinfra_hosts = ["natlab-nat"]

NAT_PUBLIC_IP = "10.66.1.10"
ECHO_URL = "http://10.66.1.100:8080/"


@pytest.fixture(scope="module")
def client():
    return lab_host("natlab-client")


@pytest.fixture(scope="module")
def stranger():
    return lab_host("natlab-stranger")


@pytest.fixture(scope="module")
def internet():
    return lab_host("natlab-internet")


def forward_drops(host):
    """Packets the FORWARD chain's DROP policy has counted so far."""
    line = host.check_output("iptables -L FORWARD -n -v -x | head -n 1")
    # Chain FORWARD (policy DROP 3 packets, 180 bytes)
    return int(line.split("policy DROP")[1].split()[0])


def assert_nat_works(client):
    ok, body = http_get(client, ECHO_URL)
    assert ok, f"client behind the NAT could not reach the internet host: {body}"
    assert body == NAT_PUBLIC_IP, f"internet host saw {body}, not the NAT's public address"


def test_client_gets_out_masqueraded(client):
    assert_nat_works(client)


def test_source_outside_the_cidrs_is_not_forwarded(host, stranger):
    before = forward_drops(host)
    ok, body = http_get(stranger, ECHO_URL, timeout=3)
    assert not ok, f"10.66.2.200 is outside nat_instance_private_cidrs but got out: {body}"
    assert forward_drops(host) > before, "the stranger's packets never reached the FORWARD DROP policy"


def test_forwarding_and_rp_filter(host):
    assert host.sysctl("net.ipv4.ip_forward") == 1
    assert host.sysctl("net.ipv4.conf.all.rp_filter") == 2
    assert host.file("/etc/sysctl.d/90-nat-instance.conf").contains("net.ipv4.ip_forward")


def test_ssh_port_open_to_admins_only(host, internet, client):
    # No sshd in the lab image: a listener on port 22 stands in for it.
    host.run("sh -c 'nohup python3 -m http.server 22 >/dev/null 2>&1 &'")
    wait_for(lambda: host.socket("tcp://0.0.0.0:22").is_listening, what="a listener on :22")
    ok, _ = http_get(internet, "http://10.66.1.10:22/")
    assert ok, "the admin network (10.66.1.100/32) cannot reach port 22"
    ok, _ = http_get(client, "http://10.66.2.10:22/", timeout=3)
    assert not ok, "port 22 answers a host outside nat_instance_admin_cidrs"
    host.run("pkill -f 'http.server 22'")


def test_rules_are_restored_after_a_restart(host, client):
    restart_container("natlab-nat")
    assert host.service("netfilter-persistent").is_enabled
    assert host.sysctl("net.ipv4.ip_forward") == 1
    nat_rules = host.check_output("iptables -t nat -S POSTROUTING")
    assert "-s 10.66.2.0/25 -o eth0 -j MASQUERADE" in nat_rules
    assert host.check_output("iptables -S FORWARD").startswith("-P FORWARD DROP")
    assert_nat_works(client)


def test_check_mode_is_clean_on_a_converged_host():
    assert_check_mode_clean("natlab-nat")


@pytest.mark.parametrize("extra_vars, message", [
    ({"nat_instance_private_cidrs": ["10.66.2.0/33"]}, "nat_instance_private_cidrs contains '10.66.2.0/33'"),
    ({"nat_instance_private_cidrs": ["10.66.2.5/24"]}, "nat_instance_private_cidrs contains '10.66.2.5/24'"),
    ({"nat_instance_private_cidrs": []}, "nat_instance_private_cidrs is empty"),
    ({"nat_instance_admin_cidrs": ["any"]}, "nat_instance_admin_cidrs contains 'any'"),
    ({"nat_instance_egress_interface": "eth9"}, "nat_instance_egress_interface is 'eth9'"),
    ({"nat_instance_rp_filter": 1}, "nat_instance_rp_filter"),
])
def test_bad_input_fails_before_any_change(host, extra_vars, message):
    assert_refused_before_any_change(host, "natlab-nat", extra_vars, message, "/etc/iptables/rules.v4")
    assert_nat_works(lab_host("natlab-client"))

def test_rules_flushed_by_hand_are_put_back_by_the_next_run(host, client):
    host.run_expect([0], "iptables -t nat -F POSTROUTING")
    ok, _ = http_get(client, ECHO_URL, timeout=3)
    assert not ok, "traffic still got out with MASQUERADE flushed: the test proves nothing"
    rc, out, recap = run_playbook(scenario_playbook())
    assert rc == 0, out
    assert recap["natlab-nat"]["changed"] == 1, out
    assert_nat_works(client)
