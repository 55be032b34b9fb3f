"""-e key=value gives strings; plugins/callback/typed_extra_vars.py turns
them into the type the project declares, so every numeric and boolean input
behaves the same from `-e k=v`, `-e '{json}'` and a vars file."""

import pathlib

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPECS = {p.parent.parent.name: yaml.safe_load(p.read_text())["argument_specs"]
         for p in sorted((ROOT / "roles").glob("*/*/meta/argument_specs.yml"))}
TYPED = sorted((role, entry, name, option) for role, specs in SPECS.items() for entry, spec in specs.items()
               for name, option in (spec.get("options") or {}).items() if option.get("type") in ("int", "float", "bool"))
CATALOGUE = yaml.safe_load((ROOT / "tests/bad_inputs.yml").read_text())


@pytest.fixture
def typed(plugin):
    return plugin("callback", "typed_extra_vars")


def key_value(value):
    """What Ansible makes of `-e name=<value>` typed on the command line."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_every_numeric_and_boolean_option_is_declared(typed):
    declared = typed.declared_types(str(ROOT))
    assert len(TYPED) > 40
    for role, entry, name, option in TYPED:
        assert declared[name] == option["type"], (role, entry, name)
    assert declared["full_run"] == "bool"


@pytest.mark.parametrize("role,entry,name,option", [t for t in TYPED if "default" in t[3]],
                         ids=[f"{t[0]}.{t[2]}" for t in TYPED if "default" in t[3]])
def test_a_default_typed_as_key_value_becomes_the_default(typed, role, entry, name, option):
    extra = {name: key_value(option["default"])}
    typed.convert(extra, typed.declared_types(str(ROOT)))
    assert extra[name] == option["default"] and type(extra[name]).__name__ == option["type"]


def catalogue_typed_cases():
    declared = {name: option for _, _, name, option in TYPED}
    return [pytest.param(name, value, id=f"{name}={value!r}") for case in CATALOGUE
            for name, value in case["vars"].items()
            if name in declared and isinstance(value, (int, float, bool)) and not isinstance(value, str)]


@pytest.mark.parametrize("name,value", catalogue_typed_cases())
def test_each_numeric_or_boolean_catalogue_case_is_judged_the_same_as_key_value(typed, name, value):
    """The refused-inputs catalogue's numeric and boolean cases, in
    key=value form: after the conversion, the argument spec's verdict on the
    option is the same as on the JSON form (refused both ways, or the same
    value both ways)."""
    option = next(o for _, _, n, o in TYPED if n == name)
    spec = {name: {k: v for k, v in option.items() if k not in ("description", "default")}}
    extra = {name: key_value(value)}
    typed.convert(extra, typed.declared_types(str(ROOT)))
    as_json = ArgumentSpecValidator(spec).validate({name: value})
    as_key_value = ArgumentSpecValidator(spec).validate(extra)
    assert bool(as_json.error_messages) == bool(as_key_value.error_messages), (as_json.error_messages,
                                                                               as_key_value.error_messages)
    if not as_json.error_messages:
        assert as_json.validated_parameters[name] == as_key_value.validated_parameters[name]


def test_what_does_not_convert_is_left_for_the_spec_to_refuse(typed):
    extra = {"aws_backup_retention_days": "14.5", "full_run": "maybe", "not_declared": "5"}
    assert typed.convert(extra, typed.declared_types(str(ROOT))) == {}
    assert extra == {"aws_backup_retention_days": "14.5", "full_run": "maybe", "not_declared": "5"}


LISTS = sorted((role, name, option) for role, specs in SPECS.items() for spec in specs.values()
               for name, option in (spec.get("options") or {}).items()
               if option.get("type") == "list" and option.get("elements", "str") in ("str", "int", "float", "bool")
               and option.get("default"))


@pytest.mark.parametrize("role,name,option", LISTS, ids=[f"{t[0]}.{t[1]}" for t in LISTS])
def test_a_list_typed_as_comma_separated_text_becomes_the_list(typed, role, name, option):
    """`-e name=a,b` is a list, as Ansible's argument spec reads it, never a
    string that a loop would walk character by character."""
    extra = {name: ",".join(key_value(v) for v in option["default"])}
    typed.convert(extra, typed.declared_types(str(ROOT)))
    assert extra[name] == option["default"]


def test_the_projects_own_lists_typed_on_the_command_line(typed):
    extra = {"admin_cidrs": "203.0.113.10/32", "devhost_app_ports": "8080,8000", "devhost_app_cidrs": '["10.0.0.0/24"]'}
    typed.convert(extra, typed.declared_types(str(ROOT)))
    assert extra["admin_cidrs"] == ["203.0.113.10/32"] and extra["devhost_app_ports"] == [8080, 8000]
    # Text that is not a plain list is left for the checks to refuse.
    assert extra["devhost_app_cidrs"] == '["10.0.0.0/24"]'
