"""Bad inputs to role app_stack (the "app_stack" cases of
tests/bad_inputs.yml) are refused by its first tasks, naming the variable,
before anything changes. Run on the controller in check mode: the checks need
no dev host (the "devhost" cases run on the site scenario's real one)."""

import pytest
from labhelpers import assert_refused_case, bad_inputs, refusal_batch

from conftest import ROOT

CASES = bad_inputs("app_stack")
# A valid configuration wired like the project's (group_vars/devhost):
# the VPC's CIDR to keep clear of, the ports the security group opens.
BASE = {
    "app_stack_db_root_password": "root-pw",
    "app_stack_db_users": [{"name": "council", "password": "council-pw", "databases": ["council"]}],
    "app_stack_apps": {"council": {"image": "x", "port": 8080, "publish_port": 8080, "memory": "256m",
                                   "healthcheck": {"test": ["CMD", "true"]}}},
    "app_stack_avoid_cidrs": ["10.20.0.0/16"],
    "app_stack_open_ports": [8080, 8000],
}


def project_paths(extra_vars):
    """Catalogue paths under tests/ are relative to the project root."""
    return {k: str(ROOT / v) if isinstance(v, str) and v.startswith("tests/") else v for k, v in extra_vars.items()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Every case, and the base configuration as the control, in one
    --check run of the role on the controller (a host per case)."""
    cases = {f"case_{n:02d}": {**BASE, **project_paths(p.values[0])} for n, p in enumerate(CASES)}
    return refusal_batch(tmp_path_factory.mktemp("app-stack-refusals"), {**cases, "control": BASE},
                         [{"name": "Run the role", "ansible.builtin.include_role": {"name": "app_stack"}}],
                         check=True, project_group_vars=False)


@pytest.mark.parametrize("n", range(len(CASES)), ids=[p.id for p in CASES])
def test_bad_input_is_refused_by_the_checks(batch, n):
    _, message = CASES[n].values
    # The refusal comes from the role's argument spec or its input checks
    # (validate.yml), and no task reported a change before it.
    assert_refused_case(batch[f"case_{n:02d}"], message, ("app_stack : Check", "app_stack : Validating arguments"))


def test_the_base_configuration_passes_the_checks(batch):
    """Control: the same run without a bad input gets past every check (it
    stops later, in check mode, where the controller has no Docker)."""
    names = [task for task, _ in batch["control"]]
    assert "app_stack : Load the OS-specific values" in names, names
    checks = names[:names.index("app_stack : Load the OS-specific values")]
    assert any(name.startswith("app_stack : Check") for name in checks), names
    assert not any(result["status"] == "failed" for _, result in batch["control"][:len(checks)]), batch["control"]
