"""Bad inputs to role app_stack (the "app_stack" cases of
tests/bad_inputs.yml) are refused by its first tasks, naming the variable,
before anything changes. Run on the controller in check mode: the checks need
no dev host (the "devhost" cases run on the site scenario's real one)."""

import pytest

from labhelpers import assert_refused_case, bad_inputs

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


ROLE = "app_stack"
REFUSAL_OPTIONS = {"check": True}


@pytest.mark.parametrize("n", range(len(CASES)), ids=[p.id for p in CASES])
def test_bad_input_is_refused_by_the_checks(refusals, n):
    _, message = CASES[n].values
    # The refusal comes from the role's argument spec or its input checks
    # (validate.yml), and no task reported a change before it.
    assert_refused_case(refusals[n], message, ("app_stack : Check", "app_stack : Validating arguments"))


def test_the_base_configuration_passes_the_checks(refusals):
    """Control: the same run without a bad input gets past every check (it
    stops later, in check mode, where the controller has no Docker)."""
    names = [task for task, _ in refusals["control"]]
    assert "app_stack : Load the OS-specific values" in names, names
    checks = names[:names.index("app_stack : Load the OS-specific values")]
    assert any(name.startswith("app_stack : Check") for name in checks), names
    assert not any(result["status"] == "failed" for _, result in refusals["control"][:len(checks)]), refusals["control"]
