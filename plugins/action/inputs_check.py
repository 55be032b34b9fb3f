# The project's own action plugin, the first task of every play that runs a
# role: two kinds of input are refused before anything uses them, each by
# name and where it came from.
#
# 1. Text where a list goes. A vars file's `admin_cidrs: 203.0.113.10/32`
# passes an argument spec (which reads text as a comma-separated list) but
# every check and loop after it walks the text character by character, so
# the refusals come once per character. Refused once here, showing the list
# form. (From -e, such text is made a list before the first play:
# plugins/callback/typed_extra_vars.py.) The list inputs are every option of
# type list in a role's argument spec, and the callback's project-level ones.
#
# 2. A value that still holds the placeholder CHANGE-ME (inventories/aws
# ships with them where the club must fill something in): named with its
# file, before the first AWS call.
#
# 3. In an inventory that ships a vault.example.yml (inventories/aws: a real
# account's, not the lab's): a vault_* key the play needs (the option
# vault_prefixes: the keys of the example starting with one of them) that no
# vars file defines, and a vault_* value read from a file that is not
# encrypted. Named with the file to put it in or to encrypt.
#
# 4. A secret that Ansible would read as a template, named, never printed.
#
# A password such as 'pa{#ss' or 'a{{b' in a vars file (or given as JSON
# with -e) is a template to Ansible: the first task that uses it fails with
# a Jinja syntax error whose message quotes the file's line, password and
# all, even under no_log. This check runs first in every play that uses
# secrets (tags: always). It reads the variables as they were loaded, before
# any templating: what an action plugin receives. Checked: every vault_*
# variable, every option a role's argument spec marks no_log, and every
# value under a key that names a password, secret or key, anywhere in the
# variables. A value written with !unsafe is not a template and passes
# (used literally), as does a whole-value reference such as
# "{{ vault_app_stack_db_root_password }}" (the documented wiring: the
# referenced vault_* variable is checked itself).

import glob
import os
import re

import yaml
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.template import is_trusted_as_template

try:  # where the value came from: "path:line:column", or the -e option
    from ansible._internal._datatag._tags import Origin
except ImportError:  # pragma: no cover - another ansible-core
    Origin = None

MARKERS = ("{{", "{%", "{#")
PLACEHOLDER = "CHANGE-ME"
# Ansible's own views of the same variables, and the roles' internal wiring
# (templates by design, no text of their own).
SKIPPED = ("vars", "hostvars", "groups", "omit")
# One expression and nothing around it: wiring, not a secret's text.
REFERENCE = re.compile(r"^\{\{[^{}#%]*\}\}$")
SECRET_KEY = re.compile(r"password|secret|(^|_)key$|token", re.IGNORECASE)


def spec_options(project):
    """(name, option) of every option of every entry point of every role's
    argument spec under project/roles."""
    for path in sorted(glob.glob(os.path.join(project, "roles", "**", "meta", "argument_specs.yml"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            specs = (yaml.safe_load(f) or {}).get("argument_specs") or {}
        for entry in specs.values():
            yield from ((entry or {}).get("options") or {}).items()


def secret_option_names(project):
    """Every option a role's argument spec marks no_log."""
    return {name for name, option in spec_options(project) if option.get("no_log")}


def list_option_names(project):
    """Every option of type list in a role's argument spec, and the
    project-level list inputs the callback types."""
    names = {name for name, option in spec_options(project) if option.get("type") == "list"}
    callback = os.path.join(project, "plugins", "callback", "typed_extra_vars.py")
    with open(callback, encoding="utf-8") as f:
        names |= set(re.findall(r'^    "([a-z_]+)": \("list"', f.read(), re.MULTILINE))
    return names


def text_lists(variables, list_names, render):
    """[(name, text, origin)] of the list inputs that hold text. A value that
    is a template (the wiring in group_vars) is judged by what it renders
    to (render(value)); one that cannot render here is left to the roles."""
    found = []
    for name in sorted(list_names & set(variables)):
        value = variables[name]
        if not isinstance(value, str):
            continue
        if any(m in value for m in MARKERS) and is_trusted_as_template(value):
            try:
                rendered = render(value)
            except Exception:  # pylint: disable=broad-except
                continue
            if not isinstance(rendered, str):
                continue
        else:
            rendered = value
        found.append((name, str(rendered), origin_of(value)))
    return found


def list_form(name, text):
    items = [item.strip() for item in text.split(",") if item.strip()] or [text]
    return f"{name}: [{', '.join(items)}]"


def origin_of(value):
    if Origin is None:
        return "unknown origin"
    tag = Origin.get_tag(value)
    return str(tag) if tag else "unknown origin"


def _leaves(value, path, secret):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}", secret or bool(SECRET_KEY.search(str(key))))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]", secret)
    elif secret and isinstance(value, str):
        yield path, value


def placeholders(variables):
    """[(variable path, origin)] of every value that still holds CHANGE-ME."""
    found = []
    for name in sorted(variables):
        if not isinstance(name, str) or name in SKIPPED or name.startswith(("__", "ansible_")):
            continue
        for path, text in _leaves(variables[name], name, True):
            if PLACEHOLDER in text:
                found.append((path, origin_of(text)))
    return found


def vault_problems(variables, prefixes, sources):
    """[message] for the vault keys of every inventory source's
    vault.example.yml that start with one of prefixes and are not defined,
    and for every vault_* value read from a file that is not encrypted.
    Inventories without a vault.example.yml (the lab's) are not checked."""
    problems = []
    for source in sources:
        directory = source if os.path.isdir(source) else os.path.dirname(source)
        example = os.path.join(directory, "vault.example.yml")
        if not os.path.isfile(example):
            continue
        with open(example, encoding="utf-8") as f:
            keys = sorted((yaml.safe_load(f) or {}))
        vault_file = os.path.join(directory, "group_vars", "all", "vault.yml")
        missing = [k for k in keys if k.startswith(tuple(prefixes)) and k not in variables]
        if missing:
            problems.append(f"{', '.join(missing)} not defined: put them in {vault_file}, encrypted "
                            f"(ansible-vault create {vault_file}; every key is listed in {example})")
        group_vars = os.path.join(directory, "group_vars") + os.sep
        for name in sorted(v for v in variables if isinstance(v, str) and v.startswith("vault_")):
            path = origin_of(variables[name]).rsplit(":", 2)[0] if isinstance(variables[name], str) else ""
            if path.startswith(group_vars) and os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    if not f.read(15).startswith("$ANSIBLE_VAULT"):
                        problems.append(f"{name} is in {path}, which is not encrypted (ansible-vault encrypt {path})")
    return problems


def templated_secrets(variables, secret_names):
    """[(variable path, origin)] of the secrets that Ansible would template:
    trusted text holding '{{', '{%' or '{#' that is not one whole-value
    reference. Never the values themselves."""
    found = []
    for name in sorted(variables):
        if not isinstance(name, str) or name in SKIPPED or name.startswith("__"):
            continue
        secret = name.startswith("vault_") or name in secret_names
        for path, text in _leaves(variables[name], name, secret):
            if any(m in text for m in MARKERS) and is_trusted_as_template(text) and not REFERENCE.match(text.strip()):
                found.append((path, origin_of(text)))
    return found


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        project = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        unfilled = placeholders(task_vars or {})
        if unfilled:
            listed = "; ".join(f"{path} (in {origin})" for path, origin in unfilled)
            raise AnsibleActionFail(
                f"Nothing was changed. These values still hold the placeholder {PLACEHOLDER}: {listed}. Fill each in "
                "(docs/quickstart.md says what goes there and how to check it).")
        vault = vault_problems(task_vars or {}, self._task.args.get("vault_prefixes") or [],
                               (task_vars or {}).get("ansible_inventory_sources") or [])
        if vault:
            raise AnsibleActionFail(f"Nothing was changed. {'; '.join(vault)}.")
        texts = text_lists(task_vars or {}, list_option_names(project), self._templar.template)
        if texts:
            listed = "; ".join(f"{name} is the text '{text}' (from {origin}), not a list: write {list_form(name, text)}"
                               for name, text, origin in texts)
            raise AnsibleActionFail(f"Nothing was changed. {listed}.")
        found = templated_secrets(task_vars or {}, secret_option_names(project))
        if found:
            listed = "; ".join(f"{path} (from {origin})" for path, origin in found)
            raise AnsibleActionFail(
                "Nothing was changed. These secrets hold '{{', '{%' or '{#', which Ansible would read as a template "
                f"(and quote, value and all, in its error): {listed}. Write each as !unsafe in its file "
                "(vault_x: !unsafe 'the value'), or choose a value without them.")
        result.update(changed=False, checked=True)
        return result
