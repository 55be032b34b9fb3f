"""The table of refused inputs (docs/inputs.md) is the catalogue the tests run
(tests/bad_inputs.yml): it cannot drift from what is really refused."""


import yaml

from labhelpers import ROOT, project_module

table = project_module("scripts/bad_inputs_table.py")


def test_the_inputs_table_is_the_catalogue():
    doc = (ROOT / "docs/inputs.md").read_text()
    assert table.current(doc) == table.render(), \
        "docs/inputs.md's refused-inputs table differs from tests/bad_inputs.yml: run python3 scripts/bad_inputs_table.py --write"


def test_every_case_names_a_suite_that_runs_it():
    cases = yaml.safe_load((ROOT / "tests/bad_inputs.yml").read_text())
    for case in cases:
        assert case["suite"] in table.WHERE, case
        assert case["vars"] and case["message"], case
    # Each suite is loaded by its test module, so no case is left unrun.
    runners = {
        "provision": ROOT / "tests/integration/test_provision_inputs.py",
        "app_stack": ROOT / "tests/integration/test_app_stack_inputs.py",
        "devhost": ROOT / "molecule/default/tests/test_stack.py",
        "nat_instance": ROOT / "roles/host/nat_instance/molecule/default/tests/test_nat.py",
        "docker": ROOT / "roles/host/docker/molecule/default/tests/test_docker.py",
        "cost": ROOT / "tests/integration/test_cost_guard.py",
        "migrate": ROOT / "molecule/default/tests/test_migrate.py",
        "production": ROOT / "tests/integration/test_production.py",
    }
    assert set(runners) == set(table.WHERE)
    for suite, path in runners.items():
        assert f'bad_inputs("{suite}")' in path.read_text(), f"{path} does not run the {suite} cases"
