#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module: no maintained module takes a lock. SSM Parameter
# Store's PutParameter without Overwrite is atomic (the second writer gets
# ParameterAlreadyExists), which makes a parameter a lock between admins.
DOCUMENTATION = r"""
module: aws_run_lock
short_description: A lock between people who run the playbooks, held in SSM Parameter Store
description:
  - O(state=acquired) creates the parameter O(name) holding the owner and the
    time, only if it does not exist (C(PutParameter) without C(Overwrite),
    atomic). When another owner holds it, waits up to O(wait) seconds for it
    to go, then fails naming the holder and since when.
  - The same owner takes its own lock again (a run of theirs that failed
    left it). A lock older than O(stale_after) minutes is taken over, with a
    warning (the run that held it died).
  - O(state=released) deletes the parameter if O(owner) holds it.
  - The lock is bookkeeping, not part of the environment. The module never
    reports a change (a run leaves the account as it found it), so a
    playbook that takes and releases it stays C(changed=0) when nothing
    else changes. In check mode it reads the lock and fails the same way
    when another owner holds it, and writes nothing.
options:
  name:
    description: Name of the SSM parameter, e.g. C(/itsupport/dev/provision-lock).
    type: str
    required: true
  owner:
    description: Who takes the lock, e.g. C(alice@laptop). Empty means the
      user running Ansible at this machine (C(user@hostname)).
    type: str
    default: ""
  state:
    description: C(acquired) or C(released).
    type: str
    choices: [acquired, released]
    default: acquired
  wait:
    description: Seconds to wait for another owner's lock before failing.
    type: int
    default: 0
  stale_after:
    description: Minutes after which a lock is taken over.
    type: int
    default: 60
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""
EXAMPLES = r"""
- name: Take the provisioning lock
  aws_run_lock:
    name: /itsupport/dev/provision-lock
    wait: 120
"""
RETURN = r"""
holder:
  description: Who held the lock when the module looked (empty if nobody), and since when.
  returned: always
  type: dict
  sample: {owner: alice@laptop, since: "2026-11-28T02:40:00+00:00"}
waited:
  description: Seconds spent waiting for another owner's lock.
  returned: always
  type: int
owner:
  description: The owner the module acted for.
  returned: always
  type: str
"""
import datetime
import getpass
import json
import socket
import time

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def read(client, name):
    """The lock's holder {owner, since}, or {} when nobody holds it."""
    try:
        value = client.get_parameter(Name=name)["Parameter"]["Value"]
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] == "ParameterNotFound":
            return {}
        raise
    try:
        holder = json.loads(value)
        datetime.datetime.fromisoformat(holder["since"])
        return holder
    except (ValueError, KeyError, TypeError):
        return {"owner": value, "since": now().isoformat()}


def write(client, name, owner, overwrite):
    """True when the lock was written; False when someone else created it first."""
    value = json.dumps({"owner": owner, "since": now().isoformat(timespec="seconds")})
    try:
        client.put_parameter(Name=name, Value=value, Type="String", Overwrite=overwrite,
                             Description="Held while a playbook changes the environment (aws_run_lock)")
        return True
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] == "ParameterAlreadyExists":
            return False
        raise


def age_minutes(holder):
    return (now() - datetime.datetime.fromisoformat(holder["since"])).total_seconds() / 60


def acquire(module, client):
    p = module.params
    started = time.monotonic()
    while True:
        holder = read(client, p["name"])
        waited = int(time.monotonic() - started)
        if not holder:
            if module.check_mode or write(client, p["name"], p["owner"], overwrite=False):
                return holder, waited
            continue  # someone took it between the read and the write
        if holder["owner"] == p["owner"]:
            if not module.check_mode:
                write(client, p["name"], p["owner"], overwrite=True)
            return holder, waited
        if age_minutes(holder) >= p["stale_after"]:
            module.warn(f"Taking over the lock {p['name']} held by {holder['owner']} since {holder['since']}: "
                        f"older than {p['stale_after']} minutes, the run that held it has died.")
            if not module.check_mode:
                write(client, p["name"], p["owner"], overwrite=True)
            return holder, waited
        if waited >= p["wait"]:
            module.fail_json(
                msg=f"{holder['owner']} has been changing this environment since {holder['since']} "
                    f"({age_minutes(holder):.0f} min; lock {p['name']}); waited {waited} s. Run again when "
                    f"they are done. If that run died, the lock goes stale after {p['stale_after']} minutes, "
                    f"or delete it: aws ssm delete-parameter --name {p['name']}",
                holder=holder, waited=waited)
        time.sleep(min(5, max(1, p["wait"] - waited)))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            owner=dict(type="str", default=""),
            state=dict(type="str", choices=["acquired", "released"], default="acquired"),
            wait=dict(type="int", default=0),
            stale_after=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    client = module.client("ssm")
    p = module.params
    p["owner"] = p["owner"] or f"{getpass.getuser()}@{socket.gethostname()}"
    try:
        if p["state"] == "acquired":
            holder, waited = acquire(module, client)
        else:
            holder, waited = read(client, p["name"]), 0
            if holder.get("owner") == p["owner"] and not module.check_mode:
                client.delete_parameter(Name=p["name"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not read or write the lock {p['name']}")
    module.exit_json(changed=False, holder=holder, waited=waited, owner=p["owner"])


if __name__ == "__main__":
    main()
