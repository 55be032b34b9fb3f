"""The first task of every play (plugins/action/inputs_check.py), through
playbooks/production.yml. Text where a list goes, from a vars file, is
refused once, naming the variable and showing the list form, not once per
character by the role's checks.

A secret holding '{{', '{%' or '{#' (a password such as 'Sec{#ret') is
refused by the first task of the play, naming the variable and where it
came from, and never printed: from a vars file (-e @file) and from JSON
(-e '{...}'); the same value written !unsafe is used literally and gets
past the check. Without the check, Ansible's own Jinja error quotes the
file's line, password and all."""

import json

import pytest

from labhelpers import ROOT, run_playbook

SECRET = "Sec{#ret-" + "itsupport-4711"


def production(moto, *args):
    return run_playbook(str(ROOT / "playbooks/production.yml"), "--check", *args,
                        inventory=str(ROOT / "inventories/lab"), env=moto.env)


@pytest.mark.parametrize("form", ["vars file", "json"])
def test_a_secret_that_would_be_templated_is_refused_by_name_and_never_printed(moto, tmp_path, form):
    if form == "vars file":
        path = tmp_path / "vault.yml"
        path.write_text(f"vault_production_db_master_password: '{SECRET}'\n")
        args = ["-e", f"@{path}"]
        where = str(path)
    else:
        args = ["-e", json.dumps({"vault_production_db_master_password": SECRET})]
        where = "-e"
    rc, out, recap = production(moto, *args)
    assert rc != 0, out
    assert SECRET not in out and "itsupport-4711" not in out, out
    flat = " ".join(out.split())
    assert "vault_production_db_master_password (from" in flat and where in flat, out
    assert "Check the inputs first" in out
    assert recap["localhost"]["changed"] == 0


def test_the_same_value_written_unsafe_passes_the_check(moto, tmp_path):
    path = tmp_path / "vault.yml"
    path.write_text(f"vault_production_db_master_password: !unsafe '{SECRET}'\n")
    rc, out, _ = production(moto, "-e", f"@{path}", "--tags", "never-a-tag")
    assert "These secrets hold" not in out, out
    assert SECRET not in out


def test_text_where_a_list_goes_is_refused_once_with_the_list_form(moto, tmp_path):
    """In an inventory's group_vars file, as an admin edits one (text given
    with -e, even -e @file, is made a list by the project's callback)."""
    inventory = tmp_path / "inventory"
    (inventory / "group_vars/all").mkdir(parents=True)
    (inventory / "hosts.yml").write_text("all: {hosts: {localhost: {ansible_connection: local}}}\n")
    for f in (ROOT / "inventories/lab/group_vars/all").iterdir():
        (inventory / "group_vars/all" / f.name).symlink_to(f)
    (inventory / "group_vars/all/zz-admin.yml").write_text("production_alb_cidrs: 203.0.113.0/24\n")
    rc, out, recap = run_playbook(str(ROOT / "playbooks/production.yml"), "--check", inventory=str(inventory),
                                  env=moto.env)
    assert rc != 0, out
    flat = " ".join(out.split())
    assert flat.count("production_alb_cidrs is the text '203.0.113.0/24'") == 1, out
    assert "write production_alb_cidrs: [203.0.113.0/24]" in flat, out
    assert recap["localhost"]["changed"] == 0
