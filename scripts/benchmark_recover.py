"""Measure (never assert) the recovery times of the dev host in the lab, for
docs/benchmarks.md: the RTO of each path, side by side.

  1. Spot stop/start with no Ansible: the instance (container) restarts and
     the stack comes back by itself (restart: unless-stopped).
  2. recover.yml on a healthy site (nothing to do).
  3. recover.yml on a dev host a person stopped (start, probe).
  4. recover.yml on a terminated dev host replaced by a new machine
     (provision, converge, restore), split as recover.yml reports it.

Needs the lab up (make lab) and leaves it up, with a replaced dev host.
Prints Markdown to stdout. Run: make benchmark-recover
"""

import re
import time

from labhelpers import (InstancePower, docker, lab_ansible, lab_host, live_instances, moto_ec2,
                        replace_machine, restart_container, wait_for)

DEVHOST = "itsupport-dev-devhost"
SERVICES = ["itsupport-db-1", "itsupport-council-1", "itsupport-homepage-1"]


def healthy(host):
    return all(host.run("docker inspect --format '{{.State.Health.Status}}' %s", s).stdout.strip() == "healthy"
               for s in SERVICES)


def recover():
    start = time.monotonic()
    res = lab_ansible("ansible-playbook", "playbooks/recover.yml", timeout=1200)
    took = time.monotonic() - start
    assert res.returncode == 0, res.output
    text = " ".join(res.output.split())
    split = re.search(r"AWS side ([\d.]+) s, dev host \(([^)]*)\) ([\d.]+) s", text)
    summary = re.search(r"recover: dev host .*? healthy after \d+ s", text)
    return took, split, summary.group(0) if summary else "?"


def main():
    ec2, host = moto_ec2(), lab_host(DEVHOST)
    rows = []

    start = time.monotonic()
    restart_container(DEVHOST)
    wait_for(lambda: healthy(host), timeout=300, what="the stack after a restart")
    rows.append(("Spot stop/start, no Ansible (container restart until every service is healthy)",
                 time.monotonic() - start, "-", "-", "stack back by itself"))

    took, split, summary = recover()
    rows.append(("recover.yml, healthy site", took, split.group(1), split.group(3), summary))

    dev = live_instances(ec2, DEVHOST)[0]
    ec2.stop_instances(InstanceIds=[dev])
    docker("stop", DEVHOST)
    with InstancePower(ec2, DEVHOST):
        took, split, summary = recover()
    rows.append(("recover.yml, dev host stopped by a person", took, split.group(1), split.group(3), summary))

    ec2.terminate_instances(InstanceIds=live_instances(ec2, DEVHOST))
    start = time.monotonic()
    replace_machine(DEVHOST)
    machine = time.monotonic() - start
    took, split, summary = recover()
    rows.append((f"recover.yml, dev host terminated, new machine (its boot in the lab: {machine:.0f} s, not counted)",
                 took, split.group(1), split.group(3), summary))

    print("| path | wall time | AWS side | dev host: probe, converge, restore | recover.yml's line |")
    print("|---|---|---|---|---|")
    for label, total, aws, dev_side, line in rows:
        line = line.replace("|", "\\|")
        print(f"| {label} | {total:.0f} s | {aws} s | {dev_side} s | `{line}` |")


if __name__ == "__main__":
    main()
