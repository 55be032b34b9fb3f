# The project's own lookup: one digest of what a role is asked to do, for
# the converge record (docs/converge-skip.md). Written
# once here, used by every role that skips work that is provably done.

DOCUMENTATION = r"""
name: role_fingerprint
short_description: A digest of a role's inputs, code and the pinned Ansible
description:
  - Returns one SHA-256 digest of
    the role's variables (the options of its argument spec, see the
    C(role_inputs) lookup, without O(exclude)) and their values as the play
    sees them now,
    O(extra) (what else the result depends on, such as a value a preflight
    resolved),
    the host's release and architecture with O(host_facts),
    the ansible-core version,
    and the role's code (the C(role_code) lookup's files, hashed by C(tree_digest)).
  - Two runs with the same digest ask the role for the same result.
options:
  _terms:
    description: The role's directory (C(role_path)).
    required: true
  exclude:
    description: Option names that do not change what the role converges to (credentials, who holds a lock).
    type: list
    elements: str
    default: []
  extra:
    description: Anything else the role's result depends on (JSON-serialisable).
    type: raw
    default: null
  host_facts:
    description: Include C(ansible_facts.distribution_release) and C(ansible_facts.architecture).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Fingerprint what the aws_backup role is asked to do
  ansible.builtin.set_fact:
    __aws_backup_inputs_digest: "{{ lookup('role_fingerprint', role_path, exclude=['aws_backup_secret_key']) }}"
"""

RETURN = r"""
_raw:
  description: The digest (hex).
  type: list
  elements: str
"""

import hashlib
import json

from ansible.module_utils.ansible_release import __version__ as ansible_version
from ansible.plugins.loader import lookup_loader
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def _lookup(self, name, terms, variables, **kwargs):
        plugin = lookup_loader.get(name, loader=self._loader, templar=self._templar)
        return plugin.run(terms, variables=variables, **kwargs)

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        out = []
        for role in terms:
            names = self._lookup("role_inputs", [role], variables, exclude=self.get_option("exclude"))
            values = self._lookup("ansible.builtin.vars", names, variables) if names else []
            facts = {}
            if self.get_option("host_facts"):
                facts = self._lookup("ansible.builtin.vars", ["ansible_facts"], variables, default={})[0] or {}
            fingerprint = {
                "variables": dict(zip(names, values)),
                "extra": self.get_option("extra"),
                "host": [facts.get("distribution_release", ""), facts.get("architecture", "")],
                "ansible": ansible_version,
                "code": self._lookup("tree_digest", self._lookup("role_code", [role], variables), variables)[0],
            }
            text = json.dumps(fingerprint, sort_keys=True, default=str)
            out.append(hashlib.sha256(text.encode()).hexdigest())
        return out
