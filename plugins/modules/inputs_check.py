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
  - In an inventory that has a C(vault.example.yml) (a real account's), a key
    of it starting with one of O(vault_prefixes) that no vars file defines, and
    a C(vault_*) value read from a C(group_vars) file that is not encrypted,
    fail the task, naming the file to put it in or to encrypt.
options:
  vault_prefixes:
    description: The vault keys the play needs, by prefix (C(vault_app_stack_), C(vault_production_)).
    type: list
    elements: str
    default: []
author: itsupport club admins
"""

EXAMPLES = r"""
- name: Check the inputs first
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
    AnsibleModule(argument_spec={"vault_prefixes": {"type": "list", "elements": "str", "default": []}},
                  supports_check_mode=True).exit_json(changed=False, checked=True)


if __name__ == "__main__":
    main()
