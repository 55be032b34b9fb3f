# The project's own action plugin, beside the module of the same name: the
# converge-skip written once. A host role contributes data only - what it
# manages and wants, in the role variable __<role>_converged_state - and
# three identical tasks (tasks/main.yml):
#
#   - host_converged_state:            # compare; register __<role>_converged
#   - include_tasks: converge.yml      # when: not __<role>_converged.skip
#   - host_converged_state: {state: recorded}
#
# Everything else is decided here: the role (from the task), the digest of
# its inputs and code (the role_fingerprint lookup), the record's path,
# whether skipping is allowed (-e full_run=true runs every task), and
# whether this run ran every task of the role so that it may record.

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import lookup_loader

RECORD_DIR = "/var/lib/ansible-converged"
# Keys of __<role>_converged_state that the action reads itself; the rest
# are the module's options (files, trees, packages, units, groups,
# commands, compose_project, mysql, wants).
OWN_KEYS = ("extra_inputs", "skip_allowed")


def record_refusal(role, checked, run_tags, skip_tags):
    """Why this run may not record the role as converged, or None. It may
    when its comparison ran in this run and found a difference (so every
    task was included) and no tag selection left one of the role's tasks
    out. Skipped tags that none of the role's tasks carry (Molecule skips
    molecule-notest) leave the run complete."""
    if not checked or checked.get("skipped") or checked.get("role") != role:
        return "the comparison did not run in this run"
    if checked.get("failed"):
        return "the comparison failed"
    if checked.get("skip"):
        return "converged: the role's tasks were skipped"
    if set(skip_tags or []) & {role, "always"}:
        return "--skip-tags left some of the role's tasks out"
    if "all" not in (run_tags or []) and role not in (run_tags or []):
        return "--tags left some of the role's tasks out"
    return None


def skip_decision(checked, full_run, skip_allowed):
    """Whether the role's tasks are skipped, and why, in words."""
    if not checked.get("converged"):
        return False, "not converged: " + str(checked.get("reason", ""))
    if full_run:
        return False, "converged, but full_run=true runs every task"
    if not skip_allowed:
        return False, "converged, but the role's settings ask for every task to run"
    return True, ("skipped: everything the role manages is as its last complete run left it and no input or code "
                  "changed (-e full_run=true runs every task)")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("state", "show"))

    def _var(self, name, task_vars, default=None):
        plugin = lookup_loader.get("ansible.builtin.vars", loader=self._loader, templar=self._templar)
        return plugin.run([name], variables=task_vars, default=default)[0]

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        role = self._task._role
        if role is None:
            raise AnsibleActionFail("host_converged_state runs in a role's tasks (it reads __<role>_converged_state)")
        name, path = role.get_name(), role._role_path
        state = self._task.args.get("state", "checked")
        if state not in ("checked", "recorded"):
            raise AnsibleActionFail(f"host_converged_state: state must be checked or recorded, not {state!r}")
        data = dict(self._var(f"__{name}_converged_state", task_vars, default={}) or {})
        if not data:
            raise AnsibleActionFail(f"host_converged_state: the role {name} defines no __{name}_converged_state")
        extra = data.pop("extra_inputs", None)
        skip_allowed = boolean(data.pop("skip_allowed", True), strict=False)
        args = dict(data, path=os.path.join(RECORD_DIR, name), state=state)

        if state == "checked":
            fingerprint = lookup_loader.get("role_fingerprint", loader=self._loader, templar=self._templar)
            args["inputs"] = fingerprint.run([path], variables=task_vars, extra=extra)[0]
            args["show"] = boolean(self._task.args.get("show", False), strict=False)
            result.update(self._execute_module("host_converged_state", module_args=args, task_vars=task_vars))
            result["role"] = name
            if not result.get("failed"):
                full_run = boolean(self._var("full_run", task_vars, default=False), strict=False)
                result["skip"], result["msg"] = skip_decision(result, full_run, skip_allowed)
            return result

        checked = self._var(f"__{name}_converged", task_vars, default=None)
        refusal = record_refusal(name, checked, self._var("ansible_run_tags", task_vars, default=["all"]),
                                 self._var("ansible_skip_tags", task_vars, default=[]))
        if refusal:
            result.update(skipped=True, changed=False, skip_reason=f"Not recorded: {refusal}", role=name)
            return result
        args["inputs"] = checked["inputs"]
        result.update(self._execute_module("host_converged_state", module_args=args, task_vars=task_vars))
        result["role"] = name
        return result
