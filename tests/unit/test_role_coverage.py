"""Every setting a host role manages is covered by what its converge check
reads: each file, template, copy, package, unit and group a task of the role
writes appears in the role's __<role>_converged_state (vars/main.yml), so a
hand change to it makes the next run converge instead of skipping.

Read statically from the YAML: a path is covered when its literal text, or
the variable it starts with, or a directory above it that is read as a tree,
is named in the role's converged state. A task that writes outside it is
listed in NOT_READ with the reason."""

import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOST_ROLES = ["nat_instance", "docker", "app_stack", "db_backup"]
WRITERS = {"ansible.builtin.template": "dest", "ansible.builtin.copy": "dest", "ansible.builtin.file": "path",
           "ansible.posix.sysctl": "name", "ansible.builtin.apt": "name",
           "ansible.builtin.systemd_service": "name", "ansible.builtin.user": "groups"}
# (role, task name): why what it writes is not part of the converged state.
NOT_READ = {
    ("app_stack", "Stage the newest backup for the database's first start"): "first start only",
    ("docker", "Remove Debian's Docker packages, which conflict with Docker's"):
        "the same names as __docker_packages.debian plus runc, which the packages read names",
}
# Variables that a task file names by another name (an include's vars).
ALIASES = {"__nat_instance_fw": "__nat_instance_firewall"}


def tasks(node):
    for item in node or []:
        if not isinstance(item, dict):
            continue
        yield item
        for key in ("block", "rescue", "always"):
            yield from tasks(item.get(key))


def written(role):
    for path in sorted((ROOT / "roles/host" / role / "tasks").glob("*.yml")):
        for task in tasks(yaml.safe_load(path.read_text())):
            for module, key in WRITERS.items():
                if module in task and isinstance(task[module], dict) and task[module].get(key):
                    if module == "ansible.builtin.file" and task[module].get("state") not in (None, "directory", "absent", "file"):
                        continue
                    if module == "ansible.builtin.systemd_service" and set(task[module]) <= {"daemon_reload"}:
                        continue
                    yield path.name, task.get("name", "?"), module, task[module][key], task.get("loop")


def converged_state_text(role):
    text = (ROOT / "roles/host" / role / "vars" / "main.yml").read_text()
    start = text.index(f"__{role}_converged_state")
    return text[start:]


def covered(value, loop, state):
    values = value if isinstance(value, list) else [value]
    if isinstance(value, str) and "item" in value and isinstance(loop, list):
        values = [value.replace("{{ item }}", str(i)) for i in loop if isinstance(i, str)] or [value]
    for v in values:
        v = str(v)
        first_var = re.match(r"\{\{\s*([A-Za-z_][\w.]*)", v)
        literal = v.split("{{")[0].rstrip("/")
        names = [first_var.group(1).split(".")[0]] if first_var and v.startswith("{{") else []
        names = [ALIASES.get(n, n) for n in names]
        if names and names[0] in ("item",):
            names = re.findall(r"__[a-z_]+|[a-z]+_[a-z_]+", str(loop))
        if not (any(n in state for n in names) or (literal and literal in state)
                or (literal and any(seg in state for seg in [literal.rsplit("/", 1)[0]] if seg))):
            return False
    return True


@pytest.mark.parametrize("role", HOST_ROLES)
def test_everything_a_role_writes_is_read_by_its_converge_check(role):
    state = converged_state_text(role)
    missing = []
    for file, name, module, value, loop in written(role):
        if (role, name) in NOT_READ:
            continue
        if not covered(value, loop, state):
            missing.append(f"{file}: {name!r} ({module} {value})")
    assert not missing, f"{role} writes what its converge check does not read:\n" + "\n".join(missing)


@pytest.mark.parametrize("role", HOST_ROLES)
def test_a_role_states_what_it_wants(role):
    assert "wants:" in converged_state_text(role), f"{role}'s converged state says nothing of what it wants"
