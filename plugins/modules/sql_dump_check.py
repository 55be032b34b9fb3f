#!/usr/bin/python
# The project's own module: check a mysqldump file on the managed host before
# anything imports it, and write the copy that is imported, with its DEFINER
# clauses given to users the target has. No maintained module reads a dump.

DOCUMENTATION = r"""
module: sql_dump_check
short_description: Check a mysqldump file and write an import copy with its definers replaced
description:
  - Reads a plain C(.sql) dump line by line (bytes, so any data survives) and
    fails, naming the file, when it is empty, does not end with mysqldump's
    C(-- Dump completed) trailer (cut short), lacks a database that was asked
    for, holds one that was not, or holds a system schema (C(mysql), C(sys)...).
  - With O(definers), also writes O(dest), the same dump where every
    C(DEFINER=`user`@`host`) clause of a view, trigger, routine or event
    names the user given for its database (rows are never touched). A
    definer in a database without an entry fails the module.
  - Supports check mode (reads, writes nothing).
options:
  path:
    description: The dump on the managed host.
    type: path
    required: true
  databases:
    description: The databases the dump must hold, no more and no fewer.
    type: list
    elements: str
    required: true
  system_schemas:
    description: Schemas that must not be in the dump.
    type: list
    elements: str
    default: [mysql, sys, performance_schema, information_schema]
  definers:
    description: Database name to the definer its objects get, as C(`user`@`host`).
    type: dict
    default: {}
  dest:
    description: Where the import copy goes (mode 0600). Required with O(definers).
    type: path
author: IT support club
"""

EXAMPLES = r"""
- name: Check the dump and give its objects the apps' users as definers
  sql_dump_check:
    path: /var/backups/itsupport-migrate/itsupport-dev-db.sql
    databases: [helpdesk]
    definers: {helpdesk: "`helpdesk`@`172.30.0.0/255.255.255.0`"}
    dest: /var/backups/itsupport-migrate/itsupport-dev-db.import.sql
"""

RETURN = r"""
bytes:
  description: Size of the dump.
  type: int
  returned: success
databases:
  description: The databases the dump creates or uses, in order.
  type: list
  returned: success
definers_found:
  description: The definers the dump named, per database.
  type: dict
  returned: success
rewritten:
  description: How many DEFINER clauses the import copy changed.
  type: int
  returned: success
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

DATABASE = re.compile(rb"^\s*(?:CREATE\s+DATABASE\s+(?:/\*!\d+\s+)?(?:IF\s+NOT\s+EXISTS\s*(?:\*/)?\s*)?|USE\s+)`((?:[^`]|``)+)`",
                      re.IGNORECASE)
DEFINER = re.compile(rb"DEFINER\s*=\s*`(?:[^`]|``)*`@`(?:[^`]|``)*`")
TRAILER = b"-- Dump completed"


def check_dump(path, databases, system_schemas, definers, out=None):
    """Read the dump at path (bytes), write the import copy to the file
    object out when given; return (facts, problems)."""
    found, definers_found, rewritten, size, last, current = [], {}, 0, 0, b"", None
    replacements = {db: value.encode("utf-8") for db, value in definers.items()}
    unmapped = set()
    with open(path, "rb") as dump:
        for line in dump:
            size += len(line)
            match = DATABASE.match(line)
            if match:
                current = match.group(1).replace(b"``", b"`").decode("utf-8", "replace")
                if current not in found:
                    found.append(current)
            # Rows (INSERT lines) are data: never rewritten.
            if b"DEFINER" in line and not line.startswith(b"INSERT INTO "):
                for clause in DEFINER.findall(line):
                    name = clause.split(b"=", 1)[1].strip().decode("utf-8", "replace")
                    definers_found.setdefault(current or "", [])
                    if name not in definers_found[current or ""]:
                        definers_found[current or ""].append(name)
                if out is not None:
                    if current in replacements:
                        line, count = DEFINER.subn(b"DEFINER=" + replacements[current], line)
                        rewritten += count
                    elif DEFINER.search(line):
                        unmapped.add(current or "(none)")
            if out is not None:
                out.write(line)
            if line.strip():
                last = line
    problems = []
    if size == 0:
        problems.append("it is empty")
    elif not (last.startswith(TRAILER) and last.endswith(b"\n")):
        problems.append("it does not end with mysqldump's '-- Dump completed' line: the dump was cut short")
    missing = [db for db in databases if db not in found]
    if missing:
        problems.append("it lacks the database(s) %s" % ", ".join(missing))
    system = [db for db in found if db.lower() in [s.lower() for s in system_schemas]]
    if system:
        problems.append("it holds the system schema(s) %s (an --all-databases dump?)" % ", ".join(system))
    extra = [db for db in found if db not in databases and db not in system]
    if extra:
        problems.append("it holds database(s) not asked for: %s" % ", ".join(extra))
    if unmapped:
        problems.append("it has DEFINER clauses in database(s) without a user to give them: %s" % ", ".join(sorted(unmapped)))
    facts = {"bytes": size, "databases": found, "definers_found": definers_found, "rewritten": rewritten}
    return facts, problems


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "databases": {"type": "list", "elements": "str", "required": True},
            "system_schemas": {"type": "list", "elements": "str",
                               "default": ["mysql", "sys", "performance_schema", "information_schema"]},
            "definers": {"type": "dict", "default": {}},
            "dest": {"type": "path"},
        },
        supports_check_mode=True,
    )
    p = module.params
    if p["definers"] and not p["dest"]:
        module.fail_json(msg="sql_dump_check: dest is required with definers")
    if not os.path.isfile(p["path"]):
        module.fail_json(msg="The dump %s does not exist" % p["path"])
    write = bool(p["dest"]) and not module.check_mode
    tmp = p["dest"] + ".partial" if write else None
    try:
        if write:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                facts, problems = check_dump(p["path"], p["databases"], p["system_schemas"], p["definers"], out)
        else:
            facts, problems = check_dump(p["path"], p["databases"], p["system_schemas"], {}, None)
    except OSError as e:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        module.fail_json(msg="Cannot read the dump %s: %s" % (p["path"], e))
    if problems:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        module.fail_json(msg="The dump %s is not fit to import: %s." % (p["path"], "; ".join(problems)), **facts)
    if write:
        os.chmod(tmp, 0o600)
        os.replace(tmp, p["dest"])
    module.exit_json(changed=write, **facts)


if __name__ == "__main__":
    main()
