"""The secret check (plugins/action/inputs_check.py): a secret that
Ansible would read as a template is named, with where it came from, and
never printed; wiring and !unsafe values pass."""

import pytest
from ansible.template import trust_as_template

from labhelpers import ROOT, project_module

check = project_module("plugins/action/inputs_check.py")
NAMES = check.secret_option_names(str(ROOT))


def trusted(value):
    return trust_as_template(value)


def test_the_no_log_options_of_every_role_are_secrets():
    assert {"app_stack_db_root_password", "db_backup_db_root_password", "rds_migration_password",
            "production_db_master_password", "aws_infra_secret_key"} <= NAMES


@pytest.mark.parametrize("value", ["pa{#ss", "a{{b", "x{%y", "{{ a }}b", "{# comment #}"])
def test_a_secret_that_would_be_templated_is_named_not_printed(value):
    found = check.templated_secrets({"vault_app_stack_db_root_password": trusted(value)}, NAMES)
    assert [path for path, _ in found] == ["vault_app_stack_db_root_password"]
    assert value not in repr(found)


def test_nested_passwords_are_checked_by_their_key():
    variables = {"app_stack_db_users": [{"name": "council", "password": trusted("c{#x"), "databases": ["council"]}],
                 "app_stack_apps": {"homepage": {"environment": {"DJANGO_SECRET_KEY": trusted("k{{")}}}}
    found = [path for path, _ in check.templated_secrets(variables, NAMES)]
    assert found == ["app_stack_apps.homepage.environment.DJANGO_SECRET_KEY", "app_stack_db_users[0].password"]


@pytest.mark.parametrize("value", [
    "{{ vault_app_stack_db_root_password }}",            # the documented wiring
    "plain-password-with-}}-and-#",                      # no opening marker
])
def test_wiring_and_plain_values_pass(value):
    assert check.templated_secrets({"app_stack_db_root_password": trusted(value)}, NAMES) == []


def test_an_unsafe_value_is_used_literally_and_passes():
    # !unsafe (or any untrusted text, such as a fact) is never templated.
    assert check.templated_secrets({"vault_x": "pa{#ss"}, NAMES) == []


def test_other_variables_are_not_secrets():
    assert check.templated_secrets({"app_stack_dir": trusted("{{ a }}/b")}, NAMES) == []


LISTS = check.list_option_names(str(ROOT))


def test_the_list_options_of_every_role_and_the_project_are_known():
    assert {"aws_infra_admin_cidrs", "production_alb_cidrs", "db_backup_databases", "cost_guard_alert_emails",
            "nat_instance_private_cidrs", "admin_cidrs", "devhost_app_ports"} <= LISTS


def never(value):
    raise AssertionError("a plain value is not rendered")


def test_text_where_a_list_goes_is_named_once_with_the_list_form():
    found = check.text_lists({"production_alb_cidrs": trusted("203.0.113.0/24"), "admin_cidrs": ["10.0.0.0/24"]},
                             LISTS, never)
    assert [(name, text) for name, text, _ in found] == [("production_alb_cidrs", "203.0.113.0/24")]
    assert check.list_form("production_alb_cidrs", "203.0.113.0/24,198.51.100.0/24") == \
        "production_alb_cidrs: [203.0.113.0/24, 198.51.100.0/24]"


def test_wiring_is_judged_by_what_it_renders_to():
    variables = {"aws_infra_admin_cidrs": trusted("{{ admin_cidrs }}"),
                 "db_backup_databases": trusted("{{ users | map(attribute='databases') | flatten }}"),
                 "nat_instance_private_cidrs": trusted("{{ undefined_here }}")}
    rendered = {"{{ admin_cidrs }}": "10.20.1.0/24", "{{ users | map(attribute='databases') | flatten }}": ["council"]}

    def render(value):
        if value not in rendered:
            raise KeyError(value)  # cannot render here: left to the role
        return rendered[value]
    found = check.text_lists(variables, LISTS, render)
    assert [(name, text) for name, text, _ in found] == [("aws_infra_admin_cidrs", "10.20.1.0/24")]
