"""Effects of the docker role on a dev host with a nested engine."""

import json
import os
import re
import time

import pytest

from labhelpers import (assert_check_mode_clean, assert_refused_case, bad_inputs, load_image, restart_container,
                        run_playbook, scenario_playbook, scenario_refusal_batch, wait_for)

testinfra_hosts = ["dockerlab-devhost"]
HOST = "dockerlab-devhost"


@pytest.fixture(scope="module")
def hello():
    """The locally built busybox image, loaded into the nested engine."""
    return load_image(HOST, os.environ["LAB_IMAGE_HELLO"])


def test_engine_and_containerd_active_and_enabled(host):
    for name in ("docker", "containerd"):
        svc = host.service(name)
        assert svc.is_running, f"{name} is not running"
        assert svc.is_enabled, f"{name} is not enabled at boot"


def test_compose_v2_is_recent_enough(host):
    out = host.check_output("docker compose version --short")
    version = tuple(int(p) for p in re.search(r"(\d+)\.(\d+)\.(\d+)", out).groups())
    assert version >= (2, 18, 0), out


def test_daemon_logging_and_live_restore(host, hello):
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert info["LoggingDriver"] == "json-file"
    assert info["LiveRestoreEnabled"] is True
    # The rotation options reach every new container.
    cid = host.check_output("docker create %s", hello)
    try:
        log_config = json.loads(host.check_output("docker inspect --format '{{json .HostConfig.LogConfig}}' %s", cid))
    finally:
        host.run("docker rm %s", cid)
    assert log_config["Config"] == {"max-size": "10m", "max-file": "3"}


def test_a_locally_built_image_runs(host, hello):
    out = host.check_output("docker run --rm %s", hello)
    assert out.strip() == "hello from a locally built image"


def test_users_in_docker_group(host):
    assert "docker" in host.user("labadmin").groups


def test_docker_users_is_the_whole_list(host):
    """A member taken off docker_users loses the root-equivalent group on the
    next run; one named in docker_users_keep is left alone; labadmin stays."""
    for user in ("formeradmin", "ciagent"):
        host.run_expect([0, 9], "useradd --no-create-home %s", user)
        host.run_expect([0], "gpasswd --add %s docker", user)
    try:
        rc, out, recap = run_playbook(scenario_playbook(), extra_vars={"docker_users_keep": ["ciagent"]})
        assert rc == 0, out
        members = host.check_output("getent group docker").split(":")[3].split(",")
        assert "formeradmin" not in members, members
        assert "ciagent" in members and "labadmin" in members, members
    finally:
        host.run("gpasswd --delete ciagent docker")
        for user in ("formeradmin", "ciagent"):
            host.run("userdel %s", user)


def test_prune_timer_scheduled(host):
    timer = host.service("docker-prune.timer")
    assert timer.is_enabled and timer.is_running
    assert host.file("/etc/systemd/system/docker-prune.timer").contains("OnCalendar=weekly")


def test_engine_and_unless_stopped_container_come_back_after_a_restart(host, hello):
    host.run("docker rm -f keeper")
    host.check_output("docker run -d --name keeper --restart unless-stopped %s sleep 100000", hello)
    restart_container(HOST)
    assert host.service("docker").is_running
    wait_for(lambda: host.run("docker inspect --format '{{.State.Running}}' keeper").stdout.strip() == "true",
             timeout=60, what="the unless-stopped container to run again")
    host.run("docker rm -f keeper")


def docker_starts(host):
    """How many times systemd has started docker.service in this boot."""
    out = host.check_output("journalctl -b -u docker.service -o cat --no-pager")
    return len(re.findall(r"^Started docker\.service", out, re.M))


def test_changing_one_option_restarts_the_daemon_exactly_once(host):
    before = docker_starts(host)
    rc, out, recap = run_playbook(scenario_playbook(), extra_vars={"docker_log_max_file": 5})
    assert rc == 0, out
    assert json.loads(host.file("/etc/docker/daemon.json").content_string)["log-opts"]["max-file"] == "5"
    assert docker_starts(host) == before + 1
    rc, out, recap = run_playbook(scenario_playbook(), extra_vars={"docker_log_max_file": 5})
    assert rc == 0, out
    assert recap[HOST]["changed"] == 0, out
    assert docker_starts(host) == before + 1
    # Back to the scenario's settings for the remaining tests.
    rc, out, _ = run_playbook(scenario_playbook())
    assert rc == 0, out


def test_check_mode_is_clean_on_a_converged_host():
    assert_check_mode_clean(HOST)


BAD_INPUTS = bad_inputs("docker")


@pytest.fixture(scope="module")
def refusals(host, tmp_path_factory):
    """Every bad input in one converge of the host (a case per inventory
    host, all on this machine); daemon.json read around it."""
    before = host.file("/etc/docker/daemon.json").sha256sum
    ran = scenario_refusal_batch(tmp_path_factory.mktemp("refusals"), HOST, "devhost",
                                 {f"case_{n:02d}": p.values[0] for n, p in enumerate(BAD_INPUTS)})
    return ran, before


@pytest.mark.parametrize("n", range(len(BAD_INPUTS)), ids=[p.id for p in BAD_INPUTS])
def test_bad_input_fails_with_the_variable_named(refusals, n):
    _, message = BAD_INPUTS[n].values
    assert_refused_case(refusals[0][f"case_{n:02d}"], message.replace(HOST, f"case_{n:02d}"))


def test_the_refused_inputs_left_the_engine_as_it_was(host, refusals):
    assert host.file("/etc/docker/daemon.json").sha256sum == refusals[1]
    assert host.service("docker").is_running
