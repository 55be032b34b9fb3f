"""Effects of the nat_instance role, seen from the hosts around it."""

import base64

import pytest

from labhelpers import (assert_check_mode_clean, assert_refused_case, bad_inputs, http_get, lab_host,
                        restart_container, run_playbook, scenario_playbook, scenario_refusal_batch, tcp_open,
                        wait_for)

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


def test_a_client_in_the_second_private_subnet_gets_out_masqueraded():
    """The other zone's private subnet (production's tasks there) is
    forwarded and masqueraded too."""
    assert_nat_works(lab_host("natlab-client-b"))


def test_source_outside_the_cidrs_is_not_forwarded(host, stranger):
    before = forward_drops(host)
    ok, body = http_get(stranger, ECHO_URL, timeout=3)
    assert not ok, f"10.66.2.200 is outside nat_instance_private_cidrs but got out: {body}"
    assert forward_drops(host) > before, "the stranger's packets never reached the FORWARD DROP policy"


def test_forwarding_and_rp_filter(host):
    assert host.sysctl("net.ipv4.ip_forward") == 1
    assert host.sysctl("net.ipv4.conf.all.rp_filter") == 2
    assert host.file("/etc/sysctl.d/90-nat-instance.conf").contains("net.ipv4.ip_forward")


def test_ssh_answers_any_source_other_ports_do_not(host, internet, client):
    """SSH is the security group's business (the admins' allow-list): the
    host accepts it from any source, so a new admin address never locks the
    club out. Every other port stays closed."""
    wait_for(lambda: host.socket("tcp://0.0.0.0:22").is_listening, what="sshd on :22")
    assert tcp_open(internet, NAT_PUBLIC_IP, 22), "sshd is not reachable from the internet side"
    assert tcp_open(client, "10.66.2.10", 22), "sshd is not reachable from the private side"
    host.run("sh -c 'nohup python3 -m http.server 8081 >/dev/null 2>&1 &'")
    try:
        wait_for(lambda: host.socket("tcp://0.0.0.0:8081").is_listening, what="a listener on :8081")
        assert not tcp_open(internet, NAT_PUBLIC_IP, 8081), "a port other than SSH answers"
        assert not tcp_open(client, "10.66.2.10", 8081), "a port other than SSH answers the private side"
    finally:
        host.run("pkill -f 'http.server 8081'")


def test_ipv6_is_closed(host):
    rules = host.check_output("ip6tables -S")
    assert "-P INPUT DROP" in rules and "-P FORWARD DROP" in rules, rules
    assert "--icmpv6-type 135" in rules and "--icmpv6-type 136" in rules, "neighbour discovery is not let in"
    assert "--dport 22" not in rules, "SSH over IPv6 is open"
    assert host.file("/etc/iptables/rules.v6").contains("^:INPUT DROP")
    assert host.sysctl("net.ipv6.conf.all.forwarding") == 0


def test_a_failed_first_run_leaves_no_open_forwarder_and_no_boot_rules(host, client):
    """A first run that dies while applying the firewall (here: the kernel
    refuses the ruleset) leaves forwarding off, and no boot file that would
    load rules never proven to apply. The next good run puts everything in
    place."""
    # The host as before any run of the role: forwarding off, ACCEPT
    # policies, no rules files.
    host.run_expect([0], "sysctl -w net.ipv4.ip_forward=0")
    host.run_expect([0], "rm -f /etc/sysctl.d/90-nat-instance.conf /etc/iptables/rules.v4 /etc/iptables/rules.v4.candidate")
    host.run_expect([0], "iptables -P FORWARD ACCEPT && iptables -P INPUT ACCEPT && iptables -F && iptables -t nat -F")
    # iptables-restore accepts a ruleset in --test mode, fails to apply it.
    restore = "/usr/sbin/iptables-restore"
    host.run_expect([0], f"mv {restore} {restore}.lab-saved")
    wrapper = ('#!/bin/sh\n'
               'case " $* " in *" --test "*) exec /usr/sbin/xtables-nft-multi iptables-restore "$@";; esac\n'
               'echo "lab: the kernel refused the ruleset" >&2\nexit 1\n')
    host.run_expect([0], f"echo {base64.b64encode(wrapper.encode()).decode()} | base64 -d > {restore} && chmod 755 {restore}")
    try:
        rc, out, _ = run_playbook(scenario_playbook())
    finally:
        host.run_expect([0], f"mv -f {restore}.lab-saved {restore}")
    assert rc != 0, "the run succeeded although the ruleset could not be applied: the test proves nothing\n" + out
    assert "Apply the candidate rules to the running firewall, ipv4" in out, out
    assert host.sysctl("net.ipv4.ip_forward") == 0, "forwarding was switched on before the firewall was live"
    assert not host.file("/etc/iptables/rules.v4").exists, "a ruleset that never applied was persisted for the next boot"
    # The next run with a working kernel: all in place.
    rc, out, _ = run_playbook(scenario_playbook())
    assert rc == 0, out
    assert host.sysctl("net.ipv4.ip_forward") == 1
    assert host.file("/etc/iptables/rules.v4").exists
    assert host.check_output("iptables -S FORWARD").startswith("-P FORWARD DROP")
    assert_nat_works(client)


def test_rules_are_restored_after_a_restart(host, client):
    restart_container("natlab-nat")
    assert host.service("netfilter-persistent").is_enabled
    assert host.sysctl("net.ipv4.ip_forward") == 1
    nat_rules = host.check_output("iptables -t nat -S POSTROUTING")
    assert "-s 10.66.2.0/25 -o eth0 -j MASQUERADE" in nat_rules
    assert host.check_output("iptables -S FORWARD").startswith("-P FORWARD DROP")
    assert "-P INPUT DROP" in host.check_output("ip6tables -S INPUT")
    assert_nat_works(client)


def test_check_mode_is_clean_on_a_converged_host():
    assert_check_mode_clean("natlab-nat")


BAD_INPUTS = bad_inputs("nat_instance")


@pytest.fixture(scope="module")
def refusals(host, tmp_path_factory):
    """Every bad input in one converge of the NAT host (a case per inventory
    host, all on this machine); the boot rules file read around it."""
    before = host.file("/etc/iptables/rules.v4").sha256sum
    ran = scenario_refusal_batch(tmp_path_factory.mktemp("refusals"), "natlab-nat", "nat",
                                 {f"case_{n:02d}": p.values[0] for n, p in enumerate(BAD_INPUTS)})
    return ran, before


@pytest.mark.parametrize("n", range(len(BAD_INPUTS)), ids=[p.id for p in BAD_INPUTS])
def test_bad_input_fails_before_any_change(refusals, n):
    _, message = BAD_INPUTS[n].values
    # A message that names the host names the case's inventory name.
    assert_refused_case(refusals[0][f"case_{n:02d}"], message.replace("natlab-nat", f"case_{n:02d}"))


def test_the_refused_inputs_left_the_nat_as_it_was(host, client, refusals):
    assert host.file("/etc/iptables/rules.v4").sha256sum == refusals[1]
    assert_nat_works(client)


def test_rules_flushed_by_hand_are_put_back_by_the_next_run(host, client):
    host.run_expect([0], "iptables -t nat -F POSTROUTING")
    ok, _ = http_get(client, ECHO_URL, timeout=3)
    assert not ok, "traffic still got out with MASQUERADE flushed: the test proves nothing"
    rc, out, recap = run_playbook(scenario_playbook())
    assert rc == 0, out
    assert recap["natlab-nat"]["changed"] == 1, out
    assert_nat_works(client)
