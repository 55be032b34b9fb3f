#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module: Compose does not recreate a container whose
# settings were changed outside the file (`docker update --restart=no`), so
# app_stack reads here which services' containers differ from the project
# and recreates exactly those.

DOCUMENTATION = r"""
module: compose_drift_info
short_description: The Compose services whose containers do not run with the project's settings
description:
  - Compares each container of a Compose project with the project's
    configuration (C(docker compose config)) on the settings that decide how
    it runs - restart policy, image, published ports, memory limit,
    environment, health check, mounts and networks - and returns the
    services that differ, with each difference in words (no environment
    value is shown).
  - A service with no container, or with more than one, differs too; so
    does a container of a service the project does not have.
  - Read-only; works the same in check mode. A directory with no Compose
    file yet returns nothing.
options:
  project_src:
    description: Directory of the Compose project (its compose.yaml).
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Read which of the stack's containers differ from compose.yaml
  compose_drift_info:
    project_src: /opt/itsupport
  register: drift
"""

RETURN = r"""
services:
  description: The services whose containers differ (missing and orphan containers included), sorted.
  returned: always
  type: list
  elements: str
recreate:
  description: The project's services whose one container runs with other settings - what C(docker compose up) would not correct by itself.
  returned: always
  type: list
  elements: str
differences:
  description: "Each difference, as C(service: setting wanted X, found Y)."
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils import itsupport_converged as converged


COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def main():
    module = AnsibleModule(argument_spec=dict(project_src=dict(type="path", required=True)),
                           supports_check_mode=True)

    def run(argv):
        rc, out, _ = module.run_command(argv, environ_update={"LC_ALL": "C"})
        return {"rc": rc, "out": out}

    directory = module.params["project_src"]
    if not any(os.path.exists(os.path.join(directory, name)) for name in COMPOSE_FILES):
        # Not laid out yet (a first run in check mode): nothing runs to differ.
        module.exit_json(changed=False, services=[], recreate=[], differences=[])
    try:
        config, containers = converged.read_compose(run, directory)
    except converged.ReadError as e:
        module.fail_json(msg=str(e))
    found = converged.compose_differences(config, containers)
    module.exit_json(changed=False, services=sorted(found), recreate=converged.services_to_recreate(config, found),
                     differences=[d for name in sorted(found) for d in found[name]])


if __name__ == "__main__":
    main()
