"""The top-level group_vars/ must apply to site.yml and to every playbook
under playbooks/ run directly (Ansible only reads group_vars next to the
inventory or the playbook being run)."""

import pathlib
import re
import subprocess

import pytest
import yaml

from labhelpers import ROOT

PROBE = [{
    "name": "Probe",
    "hosts": "probe_host",
    "gather_facts": False,
    "tasks": [{"name": "Show", "ansible.builtin.debug": {"msg": "VALUE={{ project_name | default('UNSET') }}"}}],
}]


def expected():
    return yaml.safe_load((ROOT / "group_vars/all/project.yml").read_text())["project_name"]


def probe_in(directory, tmp_path, import_from_root=False):
    """Run a throw-away playbook placed in directory; return project_name as seen."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"probe_host": {"ansible_connection": "local"}}}}))
    probe = pathlib.Path(directory) / f"_probe_{tmp_path.name}.yml"
    probe.write_text(yaml.safe_dump(PROBE))
    entry = probe
    try:
        if import_from_root:
            entry = ROOT / f"_probe_site_{tmp_path.name}.yml"
            entry.write_text(yaml.safe_dump([{"name": "Imported", "ansible.builtin.import_playbook": str(probe)}]))
        res = subprocess.run(
            ["ansible-playbook", "-i", str(inventory), str(entry)],
            capture_output=True, text=True, cwd=ROOT,
        )
    finally:
        probe.unlink()
        if entry != probe:
            entry.unlink()
    assert res.returncode == 0, res.stdout + res.stderr
    return re.search(r"VALUE=([\w-]+)", res.stdout).group(1)


def test_site_directory_loads_group_vars(tmp_path):
    assert probe_in(ROOT, tmp_path) == expected()


def test_playbooks_run_directly_load_group_vars(tmp_path):
    assert probe_in(ROOT / "playbooks", tmp_path) == expected()


def test_playbooks_imported_by_site_load_group_vars(tmp_path):
    assert probe_in(ROOT / "playbooks", tmp_path, import_from_root=True) == expected()


def test_a_playbook_elsewhere_does_not(tmp_path):
    """Control: the probe really can see 'UNSET', so the tests above can fail."""
    assert probe_in(tmp_path, tmp_path) == "UNSET"


@pytest.mark.parametrize("playbook", ["site.yml"] + sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "playbooks").glob("*.yml")))
def test_every_entry_point_lives_where_group_vars_apply(playbook):
    assert (ROOT / playbook).parent in (ROOT, ROOT / "playbooks")
    assert (ROOT / "playbooks/group_vars").resolve() == (ROOT / "group_vars").resolve()
