"""The converge-skip written once (plugins/module_utils/itsupport_converged.py)
and the host module that uses it: what a role wants against what a host has,
the record, and a Compose project against its containers' effective
settings (a fixture read from the lab's stack, secrets replaced)."""

import copy
import grp
import json
import os
import pwd

import pytest
from ansible.module_utils import itsupport_converged as converged

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


@pytest.fixture
def stack(fixture_json):
    data = fixture_json("compose_stack.json")
    return data["config"], data["containers"]


def container(containers, service):
    return next(c for c in containers if c["Config"]["Labels"]["com.docker.compose.service"] == service)


def test_the_stack_as_deployed_has_no_difference(stack):
    config, containers = stack
    assert converged.compose_differences(config, containers) == {}


@pytest.mark.parametrize("setting, change, expected", [
    ("restart policy", lambda c: c["HostConfig"].update(RestartPolicy={"Name": "no"}), "restart policy wanted unless-stopped, found no"),
    ("image", lambda c: c["Config"].update(Image="evil/image:1"), "image wanted"),
    ("ports", lambda c: c["HostConfig"]["PortBindings"].clear(), "published ports wanted"),
    ("memory", lambda c: c["HostConfig"].update(Memory=314572800), "memory limit wanted"),
    ("environment", lambda c: c["Config"].update(Env=[e for e in c["Config"]["Env"] if not e.startswith("MYSQL_ROOT_HOST=")]),
     "environment variable MYSQL_ROOT_HOST differs"),
    ("health check", lambda c: c["Config"]["Healthcheck"].update(Retries=1), "health check retries wanted 24, found 1"),
    ("mounts", lambda c: c["Mounts"].pop(), "mounts wanted"),
    ("networks", lambda c: c["NetworkSettings"]["Networks"].update(bridge={}), "networks wanted"),
])
def test_each_effective_setting_that_differs_is_named(stack, setting, change, expected):
    config, containers = stack
    containers = copy.deepcopy(containers)
    change(container(containers, "db"))
    found = converged.compose_differences(config, containers)
    assert list(found) == ["db"], setting
    assert any(expected in d for d in found["db"]), found
    assert converged.services_to_recreate(config, found) == ["db"]


def test_an_environment_difference_never_shows_the_value(stack):
    config, containers = stack
    containers = copy.deepcopy(containers)
    db = container(containers, "db")
    db["Config"]["Env"] = [e.replace("fixture-mysql_root_password", "other-secret") for e in db["Config"]["Env"]]
    found = converged.compose_differences(config, containers)
    text = " ".join(found["db"])
    assert "MYSQL_ROOT_PASSWORD" in text
    assert "fixture-mysql_root_password" not in text and "other-secret" not in text


def test_missing_and_orphan_containers_differ_but_are_left_to_compose_up(stack):
    config, containers = stack
    containers = copy.deepcopy(containers)
    homepage = container(containers, "homepage")
    containers.remove(homepage)
    orphan = copy.deepcopy(homepage)
    orphan["Config"]["Labels"]["com.docker.compose.service"] = "old-app"
    containers.append(orphan)
    found = converged.compose_differences(config, containers)
    assert set(found) == {"homepage", "old-app"}
    assert converged.services_to_recreate(config, found) == []


@pytest.mark.parametrize("text, ns", [("5s", 5_000_000_000), ("3m0s", 180_000_000_000), ("1m30s", 90_000_000_000),
                                      ("500ms", 500_000_000), ("", 0), (None, 0), (7, 7)])
def test_compose_durations(text, ns):
    assert converged.duration_ns(text) == ns


def test_file_wants(tmp_path):
    f = tmp_path / "f"
    f.write_text("1\n")
    f.chmod(0o640)
    found = {str(f): {"mode": "0o640", "owner": ME, "group": MY_GROUP, "sha256": "x", "content": "1"},
             str(tmp_path): {"mode": "0o755", "owner": ME, "group": MY_GROUP, "type": "directory"}}
    ok = {str(f): {"state": "file", "mode": "0640", "owner": ME, "content": "1"},
          str(tmp_path): {"state": "directory", "mode": "0755"},
          str(tmp_path / "gone"): {"state": "absent"}}
    assert converged.file_differences(ok, found) == []
    bad = {str(f): {"state": "file", "mode": "0600", "owner": "nobody-else", "content": "0"},
           str(tmp_path): {"state": "file"},
           str(tmp_path / "gone"): {"state": "directory"}}
    found_words = " | ".join(converged.file_differences(bad, found))
    for words in ("wanted mode 0600, found 0640", "wanted owner nobody-else", "wanted '0', found '1'",
                  "wanted a file, found a directory", "gone: wanted a directory, found none"):
        assert words in found_words


def test_package_unit_and_group_wants():
    assert converged.package_differences({"a": "present", "b": "absent"}, {"a": "ii ", "b": "absent"}) == []
    assert converged.package_differences({"a": "present", "b": "absent"}, {"a": "absent", "b": "ii "}) == [
        "package a: wanted installed, found absent", "package b: wanted absent, found ii "]
    on = {"LoadState": "loaded", "UnitFileState": "enabled", "ActiveState": "active"}
    off = {"LoadState": "loaded", "UnitFileState": "disabled", "ActiveState": "inactive"}
    gone = {"LoadState": "not-found", "UnitFileState": "", "ActiveState": "inactive"}
    wants = {"t.timer": {"enabled": True, "active": True}, "old.timer": "absent", "w.service": {"enabled": False}}
    assert converged.unit_differences(wants, {"t.timer": on, "old.timer": gone, "w.service": off}) == []
    assert converged.unit_differences(wants, {"t.timer": off, "old.timer": on, "w.service": on}) == [
        "unit old.timer: wanted absent, found loaded", "unit t.timer: wanted enabled, found disabled",
        "unit t.timer: wanted active, found inactive", "unit w.service: wanted disabled, found enabled"]
    wants = {"docker": {"members": ["admin"], "keep": ["ci"]}}
    assert converged.group_differences(wants, {"docker": ["admin", "ci"]}) == []
    assert converged.group_differences(wants, {"docker": ["mallory"]}) == [
        "group docker: wanted members ['admin'] not in it", "group docker: members ['mallory'] not wanted"]
    assert converged.group_differences({"g": []}, {}) == ["group g: wanted present, found none"]


def test_compare_and_record(tmp_path):
    path = tmp_path / "records" / "docker"
    assert converged.compare(converged.read_record(path), "abc", path)[0] is False
    converged.write_record(str(path), "abc")
    assert (path.stat().st_mode & 0o777) == 0o600 and (path.parent.stat().st_mode & 0o777) == 0o700
    assert converged.compare(converged.read_record(path), "abc", path) == (
        True, "inputs, code and the host as the last complete run left them")
    assert converged.compare(converged.read_record(path), "abd", path)[0] is False
    assert converged.digest("in", {"a": 1, "b": 2}) == converged.digest("in", {"b": 2, "a": 1})
    assert converged.digest("in", {"a": 1}) != converged.digest("in2", {"a": 1})


class TestHostModule:
    """host_converged_state run as Ansible runs it, on files under tmp_path."""

    @pytest.fixture
    def module(self, plugin):
        return plugin("modules", "host_converged_state")

    def args(self, tmp_path, **wants):
        (tmp_path / "etc").mkdir(exist_ok=True)
        conf = tmp_path / "etc" / "daemon.json"
        if not conf.exists():
            conf.write_text("{}\n")
            conf.chmod(0o644)
        return {"path": str(tmp_path / "record"), "inputs": "inputs-digest",
                "files": [str(conf)],
                "wants": {"files": {str(conf): {"state": "file", "mode": "0644"}}, **wants}}

    def test_first_run_records_and_the_next_one_is_converged(self, module, run_module, tmp_path):
        args = self.args(tmp_path)
        first = run_module(module, **args)
        assert first["converged"] is False and "no record" in first["reason"]
        recorded = run_module(module, state="recorded", **args)
        assert recorded["changed"] is True and recorded["recorded"] is True
        again = run_module(module, state="recorded", **args)
        assert again["changed"] is False and again["reason"] == "already recorded"
        assert run_module(module, **args)["converged"] is True

    def test_a_hand_change_the_run_did_not_correct_is_never_recorded(self, module, run_module, tmp_path):
        args = self.args(tmp_path)
        run_module(module, state="recorded", **args)
        (tmp_path / "etc" / "daemon.json").chmod(0o600)
        checked = run_module(module, **args)
        assert checked["converged"] is False
        assert checked["differences"] == [f"{tmp_path}/etc/daemon.json: wanted mode 0644, found 0600"]
        before = (tmp_path / "record").read_text()
        failed = run_module(module, state="recorded", **args)
        assert failed.get("failed") is True and "wanted mode 0644, found 0600" in failed["msg"]
        assert (tmp_path / "record").read_text() == before
        # Check mode reports it and writes nothing, without failing.
        dry = run_module(module, state="recorded", check_mode=True, **args)
        assert not dry.get("failed") and dry["recorded"] is False

    def test_a_changed_input_is_not_converged(self, module, run_module, tmp_path):
        args = self.args(tmp_path)
        run_module(module, state="recorded", **args)
        assert run_module(module, **dict(args, inputs="other"))["converged"] is False

    def test_groups_are_read_and_compared(self, module, run_module, tmp_path):
        args = self.args(tmp_path, groups={MY_GROUP: {"members": [], "keep": grp.getgrnam(MY_GROUP).gr_mem}})
        assert run_module(module, **args)["differences"] == []
        args = self.args(tmp_path, groups={"no-such-group-here": []})
        assert run_module(module, **args)["differences"] == ["group no-such-group-here: wanted present, found none"]


def test_a_dollar_in_a_value_is_read_as_the_container_holds_it(stack):
    """`docker compose config` writes each $ as $$; the container holds one."""
    config, containers = copy.deepcopy(stack)
    config["services"]["db"]["environment"]["MYSQL_ROOT_HOST"] = "a$$b"
    db = container(containers, "db")
    db["Config"]["Env"] = [("MYSQL_ROOT_HOST=a$b" if e.startswith("MYSQL_ROOT_HOST=") else e) for e in db["Config"]["Env"]]
    assert converged.compose_differences(converged.unescape_dollars(config), containers) == {}
    runs = {"config": json.dumps(config), "ps": "x", "inspect": json.dumps(containers)}
    found = converged.read_compose_differences(
        lambda argv: {"rc": 0, "out": runs["config" if "config" in argv else "inspect" if "inspect" in argv else "ps"]},
        "/opt/stack")
    assert found == {}


def test_anonymous_volumes_and_one_off_containers_are_not_the_services(stack):
    config, containers = copy.deepcopy(stack)
    db = container(containers, "db")
    db["Mounts"].append({"Type": "volume", "Name": "0123456789abcdef" * 4, "Destination": "/var/log/x", "RW": True})
    oneoff = copy.deepcopy(container(containers, "homepage"))
    oneoff["Config"]["Labels"]["com.docker.compose.oneoff"] = "True"
    containers.append(oneoff)
    assert converged.compose_differences(config, containers) == {}
    db["Mounts"].append({"Type": "volume", "Name": "itsupport_logs", "Destination": "/logs", "RW": True})
    assert list(converged.compose_differences(config, containers)) == ["db"]


def test_a_held_package_is_installed():
    assert converged.package_differences({"docker-ce": "present"}, {"docker-ce": "hi "}) == []
    assert converged.package_differences({"docker-ce": "absent"}, {"docker-ce": "rc "}) == []
