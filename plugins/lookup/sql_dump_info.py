# The project's own lookup: what a mysqldump file on the controller holds,
# read without a database (plain or gzip-compressed).

DOCUMENTATION = r"""
name: sql_dump_info
short_description: The databases a mysqldump file creates or uses, and whether it is complete
description:
  - Reads a C(.sql) or C(.sql.gz) dump on the controller line by line and
    returns one dictionary per file with C(databases) (names from
    C(CREATE DATABASE) and C(USE) statements, in order), C(complete) (the
    dump ends with mysqldump's C(-- Dump completed) trailer) and C(bytes)
    (the uncompressed size).
options:
  _terms:
    description: Paths of dump files on the controller.
    required: true
"""

EXAMPLES = r"""
- name: Refuse a dump of the mysql system schema
  ansible.builtin.assert:
    that: "'mysql' not in lookup('sql_dump_info', app_stack_db_dump).databases"
"""

RETURN = r"""
_list:
  description: One dictionary per file.
  type: list
  elements: dict
"""

import gzip
import re

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

DATABASE = re.compile(r"^\s*(?:CREATE\s+DATABASE\s+(?:/\*!\d+\s+)?(?:IF\s+NOT\s+EXISTS\s*(?:\*/)?\s*)?|USE\s+)`?([^`;\s]+)`?",
                      re.IGNORECASE)


def dump_info(path):
    opener = gzip.open if path.endswith(".gz") else open
    databases, last, size = [], "", 0
    with opener(path, "rt", encoding="utf-8", errors="replace") as dump:
        for line in dump:
            size += len(line.encode("utf-8", errors="replace"))
            match = DATABASE.match(line)
            if match and match.group(1) not in databases:
                databases.append(match.group(1))
            if line.strip():
                last = line
    return {"databases": databases, "complete": last.startswith("-- Dump completed"), "bytes": size}


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        results = []
        for term in terms:
            path = self.find_file_in_search_path(variables, "files", term) or term
            try:
                results.append(dump_info(path))
            except (OSError, EOFError) as e:
                raise AnsibleLookupError(f"cannot read the dump {term}: {e}") from e
        return results
