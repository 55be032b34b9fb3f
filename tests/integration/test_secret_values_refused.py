"""A secret holding '{{', '{%' or '{#' (a password such as 'Sec{#ret') is
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
    assert "Refuse a secret Ansible would read as a template" in out
    assert recap["localhost"]["changed"] == 0


def test_the_same_value_written_unsafe_passes_the_check(moto, tmp_path):
    path = tmp_path / "vault.yml"
    path.write_text(f"vault_production_db_master_password: !unsafe '{SECRET}'\n")
    rc, out, _ = production(moto, "-e", f"@{path}", "--tags", "never-a-tag")
    assert "These secrets hold" not in out, out
    assert SECRET not in out
