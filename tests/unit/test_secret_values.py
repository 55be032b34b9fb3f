"""The secret check (plugins/action/secret_values_check.py): a secret that
Ansible would read as a template is named, with where it came from, and
never printed; wiring and !unsafe values pass."""

import pytest
from ansible.template import trust_as_template

from labhelpers import ROOT, project_module

check = project_module("plugins/action/secret_values_check.py")
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
