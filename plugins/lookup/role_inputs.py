# The project's own lookup: a role's inputs, declared positively - the
# options of its argument spec (meta/argument_specs.yml, entry point main),
# which are exactly the variables a caller may set. A role's own output
# facts are never in it, so nothing has to be excluded by pattern.

DOCUMENTATION = r"""
name: role_inputs
short_description: The names of the variables a role takes, from its argument spec
description:
  - Returns the option names of the role's C(main) entry point in
    C(meta/argument_specs.yml), sorted, without the names given in
    O(exclude) (settings that do not change what the role converges to,
    such as credentials or who holds a lock).
options:
  _terms:
    description: The role's directory (C(role_path)).
    required: true
  exclude:
    description: Option names that are not inputs of the converged state.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Show the docker role's inputs
  ansible.builtin.debug:
    msg: "{{ lookup('role_inputs', role_path, wantlist=True) }}"
"""

RETURN = r"""
_raw:
  description: Variable names.
  type: list
  elements: str
"""

import os

import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


def role_inputs(role, exclude=()):
    path = os.path.join(role, "meta", "argument_specs.yml")
    try:
        with open(path, encoding="utf-8") as f:
            spec = yaml.safe_load(f)
        options = spec["argument_specs"]["main"].get("options") or {}
    except (OSError, KeyError, TypeError, yaml.YAMLError) as e:
        raise AnsibleLookupError(f"role_inputs: cannot read the main entry point of {path}: {e}") from e
    unknown = sorted(set(exclude) - set(options))
    if unknown:
        raise AnsibleLookupError(f"role_inputs: {', '.join(unknown)} not in {path}")
    return sorted(set(options) - set(exclude))


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        out = []
        for term in terms:
            out.extend(role_inputs(term, self.get_option("exclude")))
        return out
