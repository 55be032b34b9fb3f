#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module: skipping work that is provably done, on a host.
# A role reads everything it manages on the host here, in one module run,
# and compares a digest of (its inputs, its code, what the host holds now)
# with the digest it recorded at the end of its last complete run. Equal
# means the last run's work is all still in place and nothing asks for a
# change: the role skips its tasks (docs/benchmarks.md).

DOCUMENTATION = r"""
module: host_converged_state
short_description: Whether what a role manages on a host is exactly as its last complete run left it
description:
  - Reads what a role manages on the host (the options below) and computes a
    SHA-256 digest of it together with O(inputs) (the role's variables and
    code, as a digest the role computes).
  - O(state=checked) compares that digest with the one recorded in the file
    O(path) and returns RV(converged). Not converged when there is no record,
    the digest differs (an input, the code or anything read changed since)
    or a read failed.
  - O(wants) says what the role wants of what it manages (files' type, mode
    and owner, packages installed or absent, units enabled and active, a
    group's exact members, the Compose project's containers running with
    the project's settings). Any difference from it is returned in
    RV(differences); O(state=checked) is then not converged, whatever the
    record says.
  - O(state=recorded) writes the digest to O(path) (mode 0600, its directory
    0700, both root's) only when nothing differs from O(wants); a difference
    that the run did not correct fails the task, naming it. The role records
    at the end of a run that ran every one of its tasks.
  - Writing a new record reports a change; in check mode nothing is written.
options:
  path:
    description: File that holds the record, e.g. C(/var/lib/ansible-converged/docker).
    type: path
    required: true
  state:
    description: C(checked) compares, C(recorded) writes.
    type: str
    choices: [checked, recorded]
    default: checked
  inputs:
    description: Digest of what the role is asked to do (its variables, its code).
    type: str
    required: true
  files:
    description: Paths whose type, mode, owner, group and content (SHA-256, for a regular file) are read; a missing path counts as absent.
    type: list
    elements: path
    default: []
  trees:
    description: Directories read like O(files), with every entry directly in them (not deeper).
    type: list
    elements: path
    default: []
  packages:
    description: Debian packages whose state (installed or not) is read (C(dpkg-query)), not their version.
    type: list
    elements: str
    default: []
  units:
    description: systemd units whose load, enablement and activity are read (C(systemctl show)).
    type: list
    elements: str
    default: []
  groups:
    description: Groups whose members are read.
    type: list
    elements: str
    default: []
  commands:
    description: Read-only commands whose exit code and output are part of the state.
    type: list
    elements: dict
    default: []
    suboptions:
      argv: {description: The command., type: list, elements: str, required: true}
      drop: {description: Regular expressions removed from the output first (counters, timestamps)., type: list, elements: str, default: []}
  compose_project:
    description: Compose project whose containers are read (ID, image, state, health, labels, restart policy). Empty = none.
    type: str
    default: ""
  mysql:
    description: A MySQL or MariaDB server whose databases, accounts (with their password hashes) and grants are read.
    type: dict
    suboptions:
      host: {description: Address., type: str, required: true}
      port: {description: Port., type: int, default: 3306}
      user: {description: Login user., type: str, required: true}
      password: {description: Login password., type: str, required: true, no_log: true}
  wants:
    description: What the role wants of what it manages; the paths, packages, units and groups named here are read too.
    type: dict
    default: {}
    suboptions:
      files:
        description: Path to C({state, mode, owner, group, content}); state is C(file), C(directory), C(link) or C(absent); C(content) (short, never a secret) is compared as text.
        type: dict
        default: {}
      packages:
        description: Package name to C(present) or C(absent).
        type: dict
        default: {}
      units:
        description: Unit name to C({enabled, active}) (booleans, either may be left out) or C(absent).
        type: dict
        default: {}
      groups:
        description: Group name to its exact list of members.
        type: dict
        default: {}
      compose_dir:
        description: Directory of a Compose project whose containers must run with the project's settings (restart policy, image, ports, memory limit, environment, health check, mounts, networks). Empty = none.
        type: str
        default: ""
  show:
    description: Also return what was read (RV(state)), to see why a run was not skipped.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Compare the daemon configuration, the packages and the services with the last complete run
  host_converged_state:
    path: /var/lib/ansible-converged/docker
    inputs: "{{ inputs_digest }}"
    files: [/etc/docker/daemon.json]
    packages: [docker-ce, docker-compose-plugin]
    units: [docker.service]
  register: converged
"""

RETURN = r"""
converged:
  description: The digest equals the record (always false for O(state=recorded)).
  returned: always
  type: bool
reason:
  description: Why not converged, or what was recorded, in words.
  returned: always
  type: str
digest:
  description: The digest of the inputs and what was read now.
  returned: always
  type: str
recorded:
  description: The digest was written (O(state=recorded), not check mode).
  returned: always
  type: bool
differences:
  description: Each difference between the host and O(wants), in words (no secret values).
  returned: always
  type: list
  elements: str
services:
  description: The Compose services whose containers differ from the project (O(wants.compose_dir)).
  returned: always
  type: list
  elements: str
inputs:
  description: O(inputs) as given, for the record at the end of the run (the role's variables may have changed by then).
  returned: always
  type: str
state:
  description: What was read, as hashed (with O(show) only; no secrets are read).
  returned: when O(show)
  type: dict
"""

import grp
import hashlib
import json
import os
import pwd
import re
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils import itsupport_converged as converged


class Unknown(Exception):
    """A read failed: the state is not known."""


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def path_state(path, listing=False):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "absent"
    except OSError as e:
        raise Unknown(f"{path}: {e}") from e
    out = {"mode": oct(stat.S_IMODE(st.st_mode)), "owner": user_name(st.st_uid), "group": group_name(st.st_gid)}
    if stat.S_ISLNK(st.st_mode):
        out["link"] = os.readlink(path)
    elif stat.S_ISDIR(st.st_mode):
        out["type"] = "directory"
        if listing:
            out["entries"] = {name: path_state(os.path.join(path, name)) for name in sorted(os.listdir(path))}
    elif stat.S_ISREG(st.st_mode):
        sha = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                sha.update(block)
        out["sha256"] = sha.hexdigest()
    else:
        out["type"] = stat.S_IFMT(st.st_mode)
    return out


def run(module, argv, drop=()):
    """rc and output of a read-only command; a command that is not installed
    (yet: a new host) is part of the state too."""
    try:
        rc, out, err = module.run_command(argv, environ_update={"LC_ALL": "C", "SYSTEMD_PAGER": ""},
                                          handle_exceptions=False)
    except OSError as e:
        return {"rc": None, "out": f"cannot run {argv[0]}: {e.strerror}"}
    for pattern in drop:
        out = re.sub(pattern, "", out, flags=re.M)
    return {"rc": rc, "out": out}


def packages_state(module, names):
    if not names:
        return {}
    # Installed or not, not the version: the roles ask for present packages,
    # and a security update must not make every role run again.
    res = run(module, ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\\n"] + list(names))
    if res["rc"] is None:
        raise Unknown(res["out"])
    found = {}
    for line in res["out"].splitlines():
        parts = line.split(" ", 1)
        if len(parts) == 2:
            found[parts[0]] = parts[1].strip()
    return {name: found.get(name, "absent") for name in names}


def units_state(module, names):
    out = {}
    for name in names:
        res = run(module, ["systemctl", "show", "--property=LoadState,UnitFileState,ActiveState,FragmentPath", name])
        if res["rc"] != 0:
            raise Unknown(f"systemctl show {name}: rc {res['rc']}")
        out[name] = dict(sorted(line.split("=", 1) for line in res["out"].splitlines() if "=" in line))
    return out


def groups_state(names):
    out = {}
    for name in names:
        try:
            out[name] = sorted(grp.getgrnam(name).gr_mem)
        except KeyError:
            out[name] = "absent"
    return out


def containers_state(module, project):
    ids = run(module, ["docker", "ps", "--all", "--quiet", "--no-trunc", "--filter", f"label=com.docker.compose.project={project}"])
    if ids["rc"] != 0:
        return {"docker": f"rc {ids['rc']}"}
    if not ids["out"].split():
        return {}
    res = run(module, ["docker", "inspect"] + ids["out"].split())
    if res["rc"] != 0:
        raise Unknown(f"docker inspect: rc {res['rc']}")
    out = {}
    for c in json.loads(res["out"]):
        out[c["Name"]] = {
            "id": c["Id"], "image": c["Image"], "status": c["State"]["Status"],
            "health": (c["State"].get("Health") or {}).get("Status", ""),
            "labels": c["Config"].get("Labels") or {},
            "restart": (c.get("HostConfig") or {}).get("RestartPolicy"),
        }
    return out


def mysql_state(conf):
    try:
        import pymysql
    except ImportError as e:
        raise Unknown("PyMySQL is not installed") from e
    try:
        conn = pymysql.connect(host=conf["host"], port=conf["port"], user=conf["user"], password=conf["password"],
                               connect_timeout=5)
    except pymysql.MySQLError as e:
        raise Unknown(f"MySQL login: {e.args[0] if e.args else e}") from e
    out = {}
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW DATABASES")
            out["databases"] = sorted(r[0] for r in cur.fetchall())
            cur.execute("SELECT User, Host, authentication_string, plugin FROM mysql.user ORDER BY User, Host")
            # The password hashes count, as hashes of them (never shown).
            accounts = [[user, host, hashlib.sha256(str(secret).encode()).hexdigest(), plugin]
                        for user, host, secret, plugin in cur.fetchall()]
            out["accounts"] = accounts
            grants = {}
            for user, host, _, _ in accounts:
                try:
                    cur.execute("SHOW GRANTS FOR %s@%s", (user, host))
                    grants[f"{user}@{host}"] = sorted(r[0] for r in cur.fetchall())
                except pymysql.MySQLError as e:
                    # 1141: an entry with no grants of its own (MariaDB's PUBLIC role).
                    if not e.args or e.args[0] != 1141:
                        raise
                    grants[f"{user}@{host}"] = []
            out["grants"] = grants
    except pymysql.MySQLError as e:
        raise Unknown(f"MySQL read: {e.args[0] if e.args else e}") from e
    finally:
        conn.close()
    return json.loads(json.dumps(out, default=lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)))


def read_state(module):
    p = module.params
    wants = p["wants"]
    files = sorted(set(p["files"]) | set(wants["files"]))
    state = {
        "files": {path: path_state(path) for path in files},
        "trees": {path: path_state(path, listing=True) for path in p["trees"]},
        "packages": packages_state(module, sorted(set(p["packages"]) | set(wants["packages"]))),
        "units": units_state(module, sorted(set(p["units"]) | set(wants["units"]))),
        "groups": groups_state(sorted(set(p["groups"]) | set(wants["groups"]))),
        "commands": [run(module, c["argv"], c["drop"]) for c in p["commands"]],
    }
    if p["compose_project"]:
        state["containers"] = containers_state(module, p["compose_project"])
    if p["mysql"]:
        state["mysql"] = mysql_state(p["mysql"])
    return state


def file_text(path):
    try:
        with open(path) as f:
            return f.read(4096).strip()
    except OSError:
        return None


def compose_differences(module, directory):
    try:
        return converged.read_compose_differences(lambda argv: run(module, argv), directory)
    except converged.ReadError as e:
        raise Unknown(str(e)) from e


def differences(module, state):
    """Every difference between what was read and what the role wants, and
    the Compose services that differ."""
    wants = module.params["wants"]
    files = dict(state["files"])
    for path, want in wants["files"].items():
        if want.get("content") is not None and isinstance(files.get(path), dict):
            files[path] = dict(files[path], content=file_text(path))
    out = converged.file_differences(wants["files"], files)
    out += converged.package_differences(wants["packages"], state["packages"])
    out += converged.unit_differences(wants["units"], state["units"])
    out += converged.group_differences(wants["groups"], state["groups"])
    services = {}
    if wants["compose_dir"]:
        services = compose_differences(module, wants["compose_dir"])
        for name in sorted(services):
            out += services[name]
    return out, sorted(services)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["checked", "recorded"], default="checked"),
            inputs=dict(type="str", required=True),
            files=dict(type="list", elements="path", default=[]),
            trees=dict(type="list", elements="path", default=[]),
            packages=dict(type="list", elements="str", default=[]),
            units=dict(type="list", elements="str", default=[]),
            groups=dict(type="list", elements="str", default=[]),
            commands=dict(type="list", elements="dict", default=[], options=dict(
                argv=dict(type="list", elements="str", required=True),
                drop=dict(type="list", elements="str", default=[]),
            )),
            compose_project=dict(type="str", default=""),
            mysql=dict(type="dict", options=dict(
                host=dict(type="str", required=True),
                port=dict(type="int", default=3306),
                user=dict(type="str", required=True),
                password=dict(type="str", required=True, no_log=True),
            )),
            wants=dict(type="dict", default={}, options=dict(
                files=dict(type="dict", default={}),
                packages=dict(type="dict", default={}),
                units=dict(type="dict", default={}),
                groups=dict(type="dict", default={}),
                compose_dir=dict(type="str", default=""),
            )),
            show=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = {"changed": False, "converged": False, "recorded": False, "digest": "", "inputs": p["inputs"],
              "differences": [], "services": []}
    try:
        state = read_state(module)
        result["differences"], result["services"] = differences(module, state)
    except Unknown as e:
        result["reason"] = f"state unknown, a read failed ({e})"
        if p["state"] == "recorded":
            module.warn(f"Not recorded in {p['path']}: {result['reason']}; the next run runs every task.")
        module.exit_json(**result)
    result["digest"] = now = converged.digest(p["inputs"], state)
    if p["show"]:
        result["state"] = state
    record = converged.read_record(p["path"])
    if p["state"] == "checked":
        result["converged"], result["reason"] = converged.compare(record, now, p["path"])
        if result["differences"]:
            result["converged"] = False
            result["reason"] = f"{len(result['differences'])} setting(s) differ from what the role wants"
    elif result["differences"] and module.check_mode:
        # The tasks before would have corrected them in a real run.
        result["reason"] = "not recorded in check mode: " + "; ".join(result["differences"])
    elif result["differences"]:
        module.fail_json(msg="Not recorded: after a complete run the host still differs from what the role wants: "
                             + "; ".join(result["differences"]), **result)
    elif record == now:
        result["reason"] = "already recorded"
    else:
        result["changed"] = True
        if module.check_mode:
            result["reason"] = f"would record in {p['path']}"
        else:
            converged.write_record(p["path"], now)
            result["recorded"] = True
            result["reason"] = f"recorded in {p['path']}"
    module.exit_json(**result)


if __name__ == "__main__":
    main()
