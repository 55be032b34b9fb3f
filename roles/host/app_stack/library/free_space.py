#!/usr/bin/python
# -*- coding: utf-8 -*-
# The role's own module: no maintained module reports the free space under
# a path (the setup module's mount facts list only block-device mounts, not
# an overlay root or a tmpfs).
DOCUMENTATION = r"""
module: free_space
short_description: Free space of the file system that holds (or will hold) a path
description:
  - Reads C(statvfs) of O(path), or of its nearest existing parent when it
    does not exist yet, and the mount point of that file system. Read-only;
    never reports a change; works the same in check mode.
options:
  path:
    description: Absolute path, e.g. C(/opt/itsupport/stack).
    type: path
    required: true
"""
EXAMPLES = r"""
- name: Read the free space under the stack directory
  free_space:
    path: /opt/itsupport/stack
  register: stack_fs
"""
RETURN = r"""
mount:
  description: Mount point of the file system.
  returned: always
  type: str
free_mb:
  description: MB available to unprivileged users (what C(df) shows as Avail).
  returned: always
  type: int
size_mb:
  description: Size of the file system in MB.
  returned: always
  type: int
"""

import os

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"path": {"type": "path", "required": True}}, supports_check_mode=True)
    path = module.params["path"]
    if not os.path.isabs(path):
        module.fail_json(msg=f"path must be absolute, got {path!r}")
    existing = path
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    mount = os.path.realpath(existing)
    while not os.path.ismount(mount):
        mount = os.path.dirname(mount)
    st = os.statvfs(existing)
    module.exit_json(changed=False, mount=mount, free_mb=st.f_bavail * st.f_frsize // 1048576,
                     size_mb=st.f_blocks * st.f_frsize // 1048576)


if __name__ == "__main__":
    main()
