"""Numbers and booleans typed as a club admin types them, `-e key=value`
(strings to Ansible), reach the roles as numbers and booleans
(plugins/callback/typed_extra_vars.py): the README's own commands run, and a
value that is not a number is still refused naming the variable. Check mode
against a moto server of the test module's own: nothing is created. (Every
declared option in both forms: tests/unit/test_typed_extra_vars.py.)"""

import pytest


def run(moto, playbook, *assignments):
    args = [arg for assignment in assignments for arg in ("-e", assignment)]
    return moto.playbook(playbook, "--check", *args)


@pytest.mark.parametrize("playbook,assignments", [
    ("playbooks/provision.yml", ["aws_infra_devhost_root_volume_size=40", "aws_infra_lock_wait=30",
                                 "admin_cidrs=10.20.1.0/24,198.51.100.7/32", "devhost_app_ports=8080,8000"]),
    ("playbooks/production.yml", ["production_db_backup_retention_days=14", "production_db_multi_az=true"]),
])
def test_numbers_and_booleans_given_as_key_value_run(moto, playbook, assignments):
    rc, out, _ = run(moto, playbook, *assignments)
    assert rc == 0, out
    assert "not supported between" not in out and "_AnsibleTaggedStr" not in out, out


def test_the_readmes_recovery_command_reaches_its_decision(moto):
    """`recover.yml -e recover_replace_if_stopped_for=60` (the README's
    command) compares the hours stopped with 60 and decides; on this empty
    account the decision is to provision, which check mode cannot finish."""
    rc, out, _ = run(moto, "playbooks/recover.yml", "recover_replace_if_stopped_for=60")
    assert "absent -> provision" in out, out
    assert "not supported between" not in out and "_AnsibleTaggedStr" not in out, out


def test_a_value_that_is_not_a_number_is_refused_naming_the_variable(moto):
    rc, out, _ = run(moto, "playbooks/provision.yml", "aws_backup_retention_days=14.5")
    assert rc != 0 and "aws_backup_retention_days" in out, out
    assert "Traceback" not in out, out
