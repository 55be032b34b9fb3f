"""Bad inputs to role app_stack (the "app_stack" cases of
tests/bad_inputs.yml) are refused by its first tasks, naming the variable,
before anything changes. Run on the controller in check mode: the checks need
no dev host (the "devhost" cases run on the site scenario's real one)."""

import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from labhelpers import bad_inputs

from conftest import ROOT

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


def run_role(tmp_path, extra_vars):
    play = [{
        "name": "Apply app_stack", "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "Run the role", "ansible.builtin.include_role": {"name": "app_stack"}}],
    }]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    res = subprocess.run(
        ["ansible-playbook", "--check", "-i", "localhost,", str(tmp_path / "play.yml"),
         "-e", json.dumps({**BASE, **project_paths(extra_vars), "ansible_python_interpreter": sys.executable})],
        capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
             "ANSIBLE_NOCOLOR": "1", "ANSIBLE_INVENTORY": "localhost,"})
    return res.returncode, res.stdout + res.stderr


@pytest.mark.parametrize("extra_vars, message", bad_inputs("app_stack"))
def test_bad_input_is_refused_by_the_checks(tmp_path, extra_vars, message):
    rc, out = run_role(tmp_path, extra_vars)
    assert rc != 0, out
    assert message in " ".join(out.split()), out
    # The refusal comes from the role's input checks (validate.yml), and no
    # task reported a change before it.
    before_failure = out.split("fatal:")[0]
    tasks = re.findall(r"^TASK \[app_stack : (.+?)\]", before_failure, re.M)
    assert tasks and tasks[-1].startswith("Check"), out
    assert not re.search(r"^changed: \[", out, re.M), out


def test_the_base_configuration_passes_the_checks(tmp_path):
    """Control: the same run without a bad input gets past every check (it
    stops later, in check mode, where the controller has no Docker)."""
    _, out = run_role(tmp_path, {})
    checks, _, after = out.partition("TASK [app_stack : Load the OS-specific values]")
    assert after, out
    assert "fatal:" not in checks and "TASK [app_stack : Check" in checks, out
