# The project's own callback plugin: numbers and booleans typed on the
# command line (-e key=value) reach the roles as numbers and booleans.
#
# Ansible reads `-e key=value` as strings ("60", "true"), and extra vars
# take precedence over everything, so no role default, set_fact or role
# parameter can put the right type back. Without this, `-e
# recover_replace_if_stopped_for=60` passes the argument spec (which only
# checks that "60" could be an int) and then crashes the first comparison
# with 60. Written once, here: before the first play, every extra var whose
# type the project declares (a role's meta/argument_specs.yml, or the few
# project-level inputs below) and that came as a string is converted with
# Ansible's own type checks; a list typed as text (comma-separated) becomes a
# list, not a string a loop would walk character by character. A value that
# does not convert is left as it came, so the role's argument spec refuses
# it, naming the variable.

DOCUMENTATION = r"""
name: typed_extra_vars
type: aggregate
short_description: Give -e key=value numbers and booleans the type the project declares
description:
  - Before the first play, converts each extra var given as a string whose
    declared type is C(int), C(float), C(bool) or a list (comma-separated) of
    those or of strings (any entry point of any
    role's C(meta/argument_specs.yml) under the project's C(roles/), or a
    project-level switch such as C(full_run)), using Ansible's own type checks.
  - A value that does not convert is left unchanged for the argument spec to refuse.
  - Enabled in the project's C(ansible.cfg) (C(callbacks_enabled)).
"""

import glob
import os

import yaml
from ansible.module_utils.common.validation import check_type_bool, check_type_float, check_type_int
from ansible.plugins.callback import CallbackBase
from ansible.utils.vars import load_extra_vars

# Project-level inputs (group_vars/, playbooks/) that are not a role's option.
PROJECT_TYPES = {
    "full_run": "bool",
    "ssh_port": "int",
    "migrate_overwrite": "bool",
    "migrate_skip_final_snapshot": "bool",
    "teardown_final_backup": "bool",
    "admin_cidrs": ("list", "str"),
    "devhost_app_cidrs": ("list", "str"),
    "vpc_private_subnet_cidrs": ("list", "str"),
    "devhost_app_ports": ("list", "int"),
}
CHECKS = {"int": check_type_int, "float": check_type_float, "bool": check_type_bool, "str": str}


def check_type_list_of(elements):
    """A comma-separated string (as Ansible's own argument spec reads a list
    given as text) to a list of elements of the given type."""
    def check(value):
        if value.startswith(("[", "{")):
            raise ValueError("not a plain list")
        return [CHECKS[elements](item.strip()) for item in value.split(",") if item.strip()]
    return check


def declared_types(project):
    """{variable: type} for every int, float or bool option (a type name) and
    every list of str, int, float or bool (("list", elements)) of every role's
    argument spec under project/roles, plus PROJECT_TYPES."""
    types = dict(PROJECT_TYPES)
    for path in sorted(glob.glob(os.path.join(project, "roles", "**", "meta", "argument_specs.yml"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            specs = (yaml.safe_load(f) or {}).get("argument_specs") or {}
        for entry in specs.values():
            for name, option in ((entry or {}).get("options") or {}).items():
                if option.get("type") in ("int", "float", "bool"):
                    types[name] = option["type"]
                elif option.get("type") == "list" and option.get("elements", "str") in CHECKS:
                    types[name] = ("list", option.get("elements", "str"))
    return types


def convert(extra_vars, types):
    """Convert, in place, the string values of extra_vars whose declared type
    is int, float, bool or a list of those or of strings (comma-separated,
    as `-e admin_cidrs=10.0.0.0/24,10.1.0.0/24`); returns {name: new value}
    of what changed."""
    changed = {}
    for name, kind in types.items():
        value = extra_vars.get(name)
        if not isinstance(value, str):
            continue
        check = check_type_list_of(kind[1]) if isinstance(kind, tuple) else CHECKS[kind]
        try:
            changed[name] = check(str(value).strip())
        except (TypeError, ValueError):
            continue
        extra_vars[name] = changed[name]
    return changed


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "typed_extra_vars"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_start(self, playbook):
        # The one dict of extra vars Ansible loaded (and cached) for this run,
        # the same object the variable manager reads for every task.
        extra_vars = load_extra_vars(playbook._loader)
        if not extra_vars:
            return
        project = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        for name, value in convert(extra_vars, declared_types(project)).items():
            self._display.vvv(f"typed_extra_vars: -e {name} read as {type(value).__name__} {value!r}")
