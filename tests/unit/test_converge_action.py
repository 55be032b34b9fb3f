"""The converge-skip's decisions, written once in the action plugin beside
host_converged_state (plugins/action/host_converged_state.py): when a role's
tasks are skipped, and when a run may record the role as converged."""
import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOST_ROLES = ["nat_instance", "docker", "app_stack", "db_backup"]


@pytest.fixture
def action(plugin):
    return plugin("action", "host_converged_state")


def checked(**kw):
    return dict({"role": "docker", "converged": False, "skip": False, "inputs": "abc"}, **kw)


def test_converged_is_skipped_unless_a_full_run_or_the_role_says_no(action):
    assert action.skip_decision({"converged": True}, full_run=False, skip_allowed=True)[0] is True
    assert action.skip_decision({"converged": True}, full_run=True, skip_allowed=True)[0] is False
    assert action.skip_decision({"converged": True}, full_run=False, skip_allowed=False)[0] is False
    skip, why = action.skip_decision({"converged": False, "reason": "2 setting(s) differ"}, False, True)
    assert skip is False and "2 setting(s) differ" in why


@pytest.mark.parametrize("result,run_tags,skip_tags,refused", [
    (checked(), ["all"], [], None),
    (checked(), ["docker"], ["molecule-notest"], None),
    (None, ["all"], [], "did not run"),
    (checked(role="nat_instance"), ["all"], [], "did not run"),
    ({"skipped": True}, ["all"], [], "did not run"),
    (checked(failed=True), ["all"], [], "failed"),
    (checked(converged=True, skip=True), ["all"], [], "skipped"),
    (checked(), ["all"], ["docker"], "--skip-tags"),
    (checked(), ["all"], ["always"], "--skip-tags"),
    (checked(), ["docker_daemon"], [], "--tags"),
])
def test_a_run_records_only_after_every_task_of_the_role_ran(action, result, run_tags, skip_tags, refused):
    answer = action.record_refusal("docker", result, run_tags, skip_tags)
    if refused is None:
        assert answer is None
    else:
        assert refused in answer


@pytest.mark.parametrize("role", HOST_ROLES)
def test_a_host_role_gives_data_and_three_identical_tasks(role):
    """The role's part of the mechanism is data: no per-role skip switch,
    record path or digest expression, and main.yml's compare, include and
    record tasks are the same in every host role."""
    main = yaml.safe_load((ROOT / f"roles/host/{role}/tasks/main.yml").read_text())
    uses = [t for t in main if "host_converged_state" in t]
    assert [t["host_converged_state"] for t in uses] == [None, {"state": "recorded"}]
    assert uses[0]["register"] == f"__{role}_converged"
    include = next(t for t in main if "ansible.builtin.include_tasks" in t)
    assert include["when"] == f"not __{role}_converged.skip"
    assert include["ansible.builtin.include_tasks"] == {"file": "converge.yml", "apply": {"tags": [role]}}
    spec = yaml.safe_load((ROOT / f"roles/host/{role}/meta/argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    assert not [name for name in options if "converged" in name]
    data = yaml.safe_load((ROOT / f"roles/host/{role}/vars/main.yml").read_text())
    assert f"__{role}_converged_state" in data
    assert not [name for name in data if name.endswith(("_inputs", "_input_names", "_skip"))]
