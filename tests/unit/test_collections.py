"""requirements.yml is the lock of the collections: every collection the
project uses by its fully qualified name (in YAML, templates and the
project's Python) is listed, and each pin is the version installed (the
pinned `ansible` bundle's)."""

import importlib.util
import json
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCANNED = ["roles", "playbooks", "site.yml", "lab", "molecule", "plugins", "inventories", "group_vars", "tests"]
# namespace.collection.name in YAML and templates; ansible_collections.<namespace>.<name> in Python.
FQCN = re.compile(r"(?<![\w.])(amazon|community|ansible|kubernetes|containers)\.([a-z][a-z0-9_]*)\.[a-z_][a-z0-9_]*")
PY_IMPORT = re.compile(r"ansible_collections\.([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)")
# ansible-core's own, not collections.
CORE = {"ansible.builtin", "ansible.legacy", "ansible.module_utils", "ansible.plugins", "ansible.errors",
        "ansible.template", "ansible.parsing", "ansible.executor", "ansible.inventory", "ansible.vars",
        "ansible.playbook", "ansible.config", "ansible.cli", "ansible.galaxy", "ansible.release",
        "ansible._internal", "ansible.constants"}


def files():
    for entry in SCANNED:
        path = ROOT / entry
        candidates = [path] if path.is_file() else path.rglob("*")
        for f in candidates:
            if f.is_file() and f.suffix in (".yml", ".yaml", ".j2", ".py") and "__pycache__" not in f.parts:
                yield f


def used_collections():
    used = {}
    for f in files():
        text = f.read_text(errors="replace")
        found = set()
        if f.suffix in (".yml", ".yaml", ".j2"):
            found |= {f"{a}.{b}" for a, b in FQCN.findall(text)}
        if f.suffix == ".py":
            found |= {f"{a}.{b}" for a, b in PY_IMPORT.findall(text)}
            # Module names given to Ansible from Python (tests, helpers).
            found |= {f"{a}.{b}" for a, b in FQCN.findall(text) if f"{a}.{b}" not in CORE and a != "ansible"}
        for name in found - CORE:
            used.setdefault(name, str(f.relative_to(ROOT)))
    return used


def pinned():
    entries = yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]
    return {e["name"]: e["version"] for e in entries}


def installed_version(name):
    spec = importlib.util.find_spec(f"ansible_collections.{name}")
    manifest = pathlib.Path(list(spec.submodule_search_locations)[0]) / "MANIFEST.json"
    return json.loads(manifest.read_text())["collection_info"]["version"]


def test_every_collection_used_is_listed():
    used, listed = used_collections(), pinned()
    missing = {name: where for name, where in used.items() if name not in listed}
    assert not missing, f"used but not in requirements.yml (collection: first file): {missing}"


def test_every_listed_collection_is_used():
    unused = set(pinned()) - set(used_collections())
    assert not unused, f"listed in requirements.yml but not used: {unused}"


def test_each_pin_is_exact_and_the_installed_version():
    for name, version in pinned().items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", str(version)), f"{name}: '{version}' is not an exact version"
        assert installed_version(name) == version, f"{name}: installed {installed_version(name)}, pinned {version}"
