#!/usr/bin/python
# -*- coding: utf-8 -*-
# Documentation only: the work is done by the action plugin of the same name
# (plugins/action/inputs_check.py), on the controller.

DOCUMENTATION = r"""
module: inputs_check
short_description: Refuse text where a list goes, and a secret Ansible would read as a template, by name
description:
  - Every option of type list in a role's argument spec (and the
    project-level list inputs) that holds text fails the task once, naming
    it and showing the list form. A template is judged by what it renders to.
  - Reads the play's variables as loaded, before any templating. Every
    C(vault_*) variable, every option a role's argument spec marks no_log, and
    every value under a key that names a password, secret or key is checked.
  - Trusted text holding C({{), C({%) or C({#) that is not one whole-value
    reference (such as C("{{ vault_x }}")) fails the task, naming each such
    variable and the file or C(-e) it came from, never its value.
  - A value written with C(!unsafe) is used literally and passes.
options: {}
author: itsupport club admins
"""

EXAMPLES = r"""
- name: Refuse text where a list goes and a secret Ansible would read as a template
  inputs_check:
  tags: [always]
"""

RETURN = r"""
checked:
  description: The check ran and found nothing to refuse.
  type: bool
  returned: success
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    AnsibleModule(argument_spec={}, supports_check_mode=True).exit_json(changed=False, checked=True)


if __name__ == "__main__":
    main()
