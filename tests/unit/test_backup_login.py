"""The backup's database login (role db_backup): client.cnf.j2 writes the
root password as a double-quoted MySQL option value, and the backup script
reads it back, for any password the stack accepts (app_stack refuses only a
single quote and a line break). The lab proves MySQL itself reads it too
(molecule/default/tests/test_backup.py)."""

import importlib.machinery
import importlib.util
import pathlib

import jinja2
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles/host/db_backup"
NASTY = ['pa\\ss"wo#rd; $(id) `=é', '\\', '"', '\\"', 'ends with a backslash\\', '#', ' spaces around ', "{{ x }}"]


@pytest.fixture(scope="module")
def script():
    loader = importlib.machinery.SourceFileLoader("itsupport_db_backup", str(ROLE / "files/itsupport-db-backup"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def render(password):
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True)
    return env.from_string((ROLE / "templates/client.cnf.j2").read_text()).render(
        ansible_managed="managed", db_backup_db_root_password=password)


@pytest.mark.parametrize("password", NASTY)
def test_the_password_written_is_the_password_read(script, tmp_path, password):
    path = tmp_path / "client.cnf"
    path.write_text(render(password))
    assert script.root_password(str(path)) == password
    line = next(li for li in path.read_text().splitlines() if li.startswith("password="))
    # One line, double-quoted, nothing unescaped inside.
    inner = line[len('password="'):-1]
    assert line.endswith('"') and '"' not in inner.replace('\\"', "").replace("\\\\", "")
