# The project's own lookup: a fingerprint of code on the controller, so a
# role can tell "the same code as the last complete run" (aws_converged_state).

DOCUMENTATION = r"""
name: tree_digest
short_description: SHA-256 of files and directory trees on the controller
description:
  - Hashes every file under the given paths (a directory is walked, in sorted
    order; C(__pycache__) and C(.pyc) files are left out) with its path
    relative to the term, so the digest is the same in every clone of the
    project, wherever it lives. Returns one digest for all terms.
options:
  _terms:
    description: Files or directories on the controller.
    required: true
"""

EXAMPLES = r"""
- name: Fingerprint the role and the project's modules
  ansible.builtin.debug:
    msg: "{{ lookup('tree_digest', role_path, role_path ~ '/../../plugins/modules') }}"
"""

RETURN = r"""
_raw:
  description: One hexadecimal SHA-256 digest.
  type: list
  elements: str
"""

import hashlib
import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


def files_under(root):
    if os.path.isfile(root):
        yield os.path.basename(root), root
        return
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".pyc"):
                path = os.path.join(top, name)
                yield os.path.relpath(path, root), path


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        sha = hashlib.sha256()
        for number, term in enumerate(terms):
            if not os.path.exists(term):
                raise AnsibleLookupError(f"tree_digest: {term} does not exist")
            sha.update(f"term {number}\0".encode())
            for rel, path in files_under(term):
                with open(path, "rb") as f:
                    sha.update(rel.encode() + b"\0" + hashlib.sha256(f.read()).digest())
        return [sha.hexdigest()]
