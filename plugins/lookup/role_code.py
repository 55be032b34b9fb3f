# The project's own lookup: which files are a role's code, so that a role's
# converge record is invalidated by a change to what can change its result
# (its own files and the project plugins it calls) and not by an edit
# anywhere else in plugins/.

DOCUMENTATION = r"""
name: role_code
short_description: The files that make up a role's code, with the project plugins it uses
description:
  - Returns the role's directory, then each project plugin the role uses -
    a module, action or lookup (plugins/modules, plugins/action,
    plugins/lookup) whose name appears as a word in the role's files, the
    lookups such an action plugin or lookup loads by name, a filter plugin file one of whose
    filters the role applies (C(| name)), and the module_utils those
    modules import - then the project's requirements.txt, requirements.yml
    and ansible.cfg (the pinned Ansible, collections and settings).
  - Meant as the terms of the C(tree_digest) lookup.
options:
  _terms:
    description: The role's directory (C(role_path)), under the project's roles/.
    required: true
"""

EXAMPLES = r"""
- name: Fingerprint the docker role's code
  ansible.builtin.debug:
    msg: "{{ lookup('tree_digest', *lookup('role_code', role_path, wantlist=True)) }}"
"""

RETURN = r"""
_raw:
  description: Paths, the role's directory first.
  type: list
  elements: str
"""

import os
import re

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

TEXT = (".yml", ".yaml", ".j2", ".py", ".sh", ".md")


def role_text(role):
    out = []
    for top, dirs, files in os.walk(role):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "molecule"))
        for name in sorted(files):
            if name.endswith(TEXT) or "." not in name:
                with open(os.path.join(top, name), encoding="utf-8", errors="replace") as f:
                    out.append(f.read())
    return "\n".join(out)


def filter_names(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    body = text.split("def filters", 1)[-1]
    return set(re.findall(r"[\"']([a-z_][a-z0-9_]*)[\"']\s*:", body))


def module_utils_of(path, utils_dir):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    names = set(re.findall(r"ansible\.module_utils\.(\w+)", text))
    names |= set(re.findall(r"from ansible\.module_utils import (\w+)", text))
    return sorted(os.path.join(utils_dir, n + ".py") for n in names if os.path.isfile(os.path.join(utils_dir, n + ".py")))


def role_code(role):
    role = os.path.normpath(role)
    # The project: the nearest directory above the role with a plugins/
    # (roles/aws/<role> and roles/host/<role> in this project).
    project = os.path.dirname(role)
    while not os.path.isdir(os.path.join(project, "plugins")) and os.path.dirname(project) != project:
        project = os.path.dirname(project)
    plugins = os.path.join(project, "plugins")
    text = role_text(role)
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    used = []
    for kind in ("modules", "action", "lookup"):
        directory = os.path.join(plugins, kind)
        for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
            if name.endswith(".py") and name[:-3] in words:
                used.append(os.path.join(directory, name))
    # An action plugin or a lookup loads lookups by name (a quoted lookup
    # name in its code): those are the role's code too, and whatever they
    # load in turn.
    pending = [u for u in used if os.sep + "modules" + os.sep not in u]
    while pending:
        with open(pending.pop(), encoding="utf-8") as f:
            loaded = set(re.findall(r"[\"'](\w+)[\"']", f.read()))
        for name in sorted(loaded):
            path = os.path.join(plugins, "lookup", name + ".py")
            if os.path.isfile(path) and path not in used:
                used.append(path)
                pending.append(path)
    used = sorted(set(used), key=used.index)
    applied = set(re.findall(r"\|\s*([a-z_][a-z0-9_]*)", text))
    directory = os.path.join(plugins, "filter")
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        if name.endswith(".py") and filter_names(os.path.join(directory, name)) & applied:
            used.append(os.path.join(directory, name))
    utils = sorted({u for path in used for u in module_utils_of(path, os.path.join(plugins, "module_utils"))})
    extra = [os.path.join(project, name) for name in ("requirements.txt", "requirements.yml", "ansible.cfg")]
    return [role] + used + utils + [path for path in extra if os.path.exists(path)]


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        out = []
        for term in terms:
            if not os.path.isdir(os.path.join(term, "tasks")):
                raise AnsibleLookupError(f"role_code: {term} is not a role's directory")
            out.extend(role_code(term))
        return out
