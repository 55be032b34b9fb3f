"""role_code (a role's code: its files and the project plugins it uses) and
role_inputs (its inputs: the options of its argument spec)."""

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def role_code(plugin):
    return plugin("lookup", "role_code").role_code


@pytest.fixture
def role_inputs(plugin):
    return plugin("lookup", "role_inputs").role_inputs


def rel(paths):
    return [str(pathlib.Path(p).relative_to(ROOT)) for p in paths]


def test_a_roles_code_is_its_files_and_the_plugins_it_calls(role_code):
    code = rel(role_code(str(ROOT / "roles/host/app_stack")))
    assert code[0] == "roles/host/app_stack"
    assert {"plugins/modules/host_converged_state.py", "plugins/modules/compose_drift_info.py",
            "plugins/module_utils/itsupport_converged.py", "plugins/lookup/tree_digest.py"} <= set(code)
    # The cost plugins are not app_stack's code: editing them keeps its record.
    assert not [p for p in code if "cost" in p]
    assert code[-3:] == ["requirements.txt", "requirements.yml", "ansible.cfg"]


def test_a_new_plugin_call_joins_the_code(role_code, tmp_path):
    (tmp_path / "roles/r/tasks").mkdir(parents=True)
    (tmp_path / "plugins/modules").mkdir(parents=True)
    (tmp_path / "plugins/module_utils").mkdir(parents=True)
    (tmp_path / "plugins/filter").mkdir(parents=True)
    (tmp_path / "plugins/modules/thing_info.py").write_text("from ansible.module_utils import shared_bit\n")
    (tmp_path / "plugins/module_utils/shared_bit.py").write_text("X = 1\n")
    (tmp_path / "plugins/filter/f.py").write_text("class FilterModule:\n    def filters(self):\n        return {'to_plan': str}\n")
    tasks = tmp_path / "roles/r/tasks/main.yml"
    tasks.write_text("- ansible.builtin.debug: {msg: hi}\n")
    assert role_code(str(tmp_path / "roles/r")) == [str(tmp_path / "roles/r")]
    tasks.write_text("- thing_info: {}\n- ansible.builtin.debug: {msg: \"{{ x | to_plan }}\"}\n")
    assert role_code(str(tmp_path / "roles/r")) == [str(tmp_path / "roles/r"), str(tmp_path / "plugins/modules/thing_info.py"),
                                                    str(tmp_path / "plugins/filter/f.py"),
                                                    str(tmp_path / "plugins/module_utils/shared_bit.py")]


def test_a_roles_inputs_are_its_argument_spec(role_inputs):
    names = role_inputs(str(ROOT / "roles/host/app_stack"), ["app_stack_pull"])
    assert "app_stack_db_image" in names and "app_stack_apps" in names
    # Its output facts are not in the spec, so no pattern has to leave them out.
    assert not {"app_stack_healthy", "app_stack_unhealthy_services", "app_stack_db_restored_from"} & set(names)
    assert "app_stack_pull" not in names


def test_an_exclusion_that_names_no_option_is_an_error(role_inputs):
    from ansible.errors import AnsibleLookupError
    with pytest.raises(AnsibleLookupError, match="app_stack_no_such_option"):
        role_inputs(str(ROOT / "roles/host/app_stack"), ["app_stack_no_such_option"])
