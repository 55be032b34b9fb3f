"""Unit tests: the project's modules, module_utils and lookups run in this
process, with no container, no Ansible run and no moto server (moto's
in-process mock where AWS is needed). Seconds, not minutes: `make unit`.

This file makes the project's plugins importable the way Ansible imports
them (``ansible.module_utils.<name>`` for the shared code), so no test edits
sys.path, and gives one way to run a module's main() with arguments."""

import importlib.util
import io
import json
import pathlib
import sys

import ansible.module_utils
import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load(name, path, register_as=None):
    """Import the file at path as module name (and, for module_utils, under
    ansible.module_utils like Ansible does)."""
    spec = importlib.util.spec_from_file_location(register_as or name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[register_as or name] = mod
    spec.loader.exec_module(mod)
    if register_as and register_as.startswith("ansible.module_utils."):
        setattr(ansible.module_utils, name, mod)
    return mod


for _path in sorted((ROOT / "plugins/module_utils").glob("*.py")):
    load(_path.stem, _path, register_as=f"ansible.module_utils.{_path.stem}")


@pytest.fixture
def plugin():
    """plugin('modules', 'host_converged_state') imports a project plugin."""
    def _load(kind, name):
        return load(f"itsupport_{kind}_{name}", ROOT / "plugins" / kind / f"{name}.py")
    return _load


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg", ""))
        self.result = result


@pytest.fixture
def run_module(monkeypatch):
    """run_module(module, **args) runs module.main() as Ansible would and
    returns its result dict; result['failed'] is true when it failed."""
    def _run(module, check_mode=False, **args):
        if check_mode:
            args["_ansible_check_mode"] = True
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
        monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
        out = io.StringIO()
        monkeypatch.setattr(sys, "stdout", out)
        try:
            module.main()
        except SystemExit:
            pass
        finally:
            monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        return json.loads(out.getvalue().strip().splitlines()[-1])
    return _run


@pytest.fixture
def fixture_json():
    def _read(name):
        return json.loads((pathlib.Path(__file__).parent / "fixtures" / name).read_text())
    return _read
