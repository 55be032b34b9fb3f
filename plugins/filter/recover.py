"""What playbooks/recover.yml does about the dev host: the decision table.

One function reads what AWS reports about the dev host (its instances, found
by Name tag or through its Spot request, and those Spot requests) and returns
the one action to take. It is pure, so tests/unit/test_recover_decision.py drives
every row of the table with recorded facts, without AWS.

| found                                        | action    |
|----------------------------------------------|-----------|
| running, stack not yet probed                | probe     |
| running, stack healthy                       | none      |
| running, stack unhealthy / not converged     | converge  |
| stopped by EC2 (no capacity, price), or      | wait      |
|   marked for stop                            |           |
| ... stopped longer than replace_after_minutes| replace   |
| stopped by a person (or no Spot request)     | start     |
| terminated, request relaunched an instance   | adopt     |
| terminated / absent, nothing relaunched      | provision |
| more than one live dev host                  | refuse    |

A "live" instance is pending, running, stopping or stopped.
"""

import datetime

LIVE = ("pending", "running", "stopping", "stopped")
# Spot request status codes that mean EC2 stopped (or is stopping) the
# instance itself; only EC2 may start it again.
EC2_STOP_PREFIXES = ("marked-for-stop", "instance-stopped-")
PERSON_STOP_CODES = ("instance-stopped-by-user",)
OPEN_REQUEST_STATES = ("open", "active")


def _parse_time(value):
    if isinstance(value, datetime.datetime):
        moment = value
    elif value:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def _state(instance):
    state = instance.get("state", "")
    return state.get("name", "") if isinstance(state, dict) else str(state)


def _name(instance):
    return (instance.get("tags") or {}).get("Name", "")


def _request_of(instance, requests):
    wanted = instance.get("spot_instance_request_id")
    for request in requests:
        if wanted and request.get("spot_instance_request_id") == wanted:
            return request
        if request.get("instance_id") == instance.get("instance_id"):
            return request
    return None


def _code(request):
    return ((request or {}).get("status") or {}).get("code", "")


def devhost_recovery(instances, spot_requests=None, name="", stack_healthy=None,
                     now=None, replace_after_minutes=0):
    """Return {found, action, instance_id, request_id, reason, instances,
    stopped_minutes} for the dev host called `name`.

    instances: ec2_instance_info results (snake_case): the instances tagged
      with the dev host's name, and any instance its Spot requests launched.
    spot_requests: ec2_spot_instance_info results for those instances.
    stack_healthy: None (not probed yet), True or False.
    replace_after_minutes: 0 = never replace a host EC2 holds stopped.
    """
    requests = list(spot_requests or [])
    now = _parse_time(now) or datetime.datetime.now(datetime.timezone.utc)
    plan = {"found": "", "action": "", "instance_id": "", "request_id": "",
            "reason": "", "instances": [], "stopped_minutes": 0}

    # Each instance once (a relaunched one may be listed by tag and by request).
    unique = {}
    for instance in instances or []:
        unique.setdefault(instance.get("instance_id"), instance)
    live = [i for i in unique.values() if _state(i) in LIVE]
    plan["instances"] = sorted(
        f"{i.get('instance_id')} ({_state(i)}, Name={_name(i) or '-'})" for i in live)

    if len(live) > 1:
        plan.update(found="several live dev hosts", action="refuse",
                    reason="more than one live instance claims to be the dev host: "
                           + ", ".join(plan["instances"])
                           + "; nothing was changed. Keep one: terminate the others by hand "
                             "(and cancel their Spot requests), then run recover.yml again")
        return plan

    if not live:
        gone = sorted(i.get("instance_id") for i in unique.values())
        open_requests = sorted(r.get("spot_instance_request_id") for r in requests
                               if r.get("state") in OPEN_REQUEST_STATES)
        plan.update(found="terminated" if gone else "absent", action="provision",
                    reason=("no live instance (last: " + ", ".join(gone) + ")" if gone
                            else "no instance carries the dev host's name")
                           + "; launch a new one from the launch template, converge, restore")
        if open_requests:
            plan["request_id"] = ",".join(open_requests)
            plan["reason"] += "; cancel the open Spot request(s) first so they launch no orphan"
        return plan

    host = live[0]
    state = _state(host)
    request = _request_of(host, requests)
    plan.update(instance_id=host.get("instance_id", ""),
                request_id=(request or {}).get("spot_instance_request_id", ""))

    if _name(host) != name:
        plan.update(found="terminated, relaunched by the Spot request", action="adopt",
                    reason=f"the persistent Spot request launched {plan['instance_id']} "
                           f"({state}) without the dev host's name: tag it, converge, restore")
        return plan

    if state in ("pending", "running"):
        if stack_healthy is None:
            plan.update(found=state, action="probe", reason="running: probe the stack")
        elif stack_healthy:
            plan.update(found="running, stack healthy", action="none",
                        reason="running and every service healthy: nothing to do")
        else:
            plan.update(found="running, stack unhealthy", action="converge",
                        reason="running but the stack is not healthy (or the host was never "
                               "converged): converge, restore if the data directory is empty")
        return plan

    code = _code(request)
    if code.startswith(EC2_STOP_PREFIXES) and code not in PERSON_STOP_CODES:
        since = _parse_time(((request or {}).get("status") or {}).get("update_time"))
        minutes = int((now - since).total_seconds() // 60) if since else 0
        plan["stopped_minutes"] = minutes
        if replace_after_minutes and minutes >= replace_after_minutes:
            plan.update(found=f"stopped by EC2 ({code}) for {minutes} min", action="replace",
                        reason=f"held stopped longer than {replace_after_minutes} min: snapshot "
                               "the root volume, cancel the request, launch a replacement, restore")
        else:
            plan.update(found=f"stopped by EC2 ({code})", action="wait",
                        reason="only EC2 may start it again (StartInstances fails): wait for it")
        return plan

    plan.update(found=f"{state} by a person ({code or 'no Spot request'})", action="start",
                reason="start it (retrying while the Spot request is still marked for stop), converge")
    return plan


def recovery_summary(plan, restored="", seconds=None):
    """The one line recover.yml ends with."""
    parts = [f"dev host {plan.get('instance_id') or '-'}",
             f"found: {plan.get('found')}",
             f"action: {plan.get('action')}",
             "data: " + (f"restored from {restored}" if restored else "not restored")]
    if seconds is not None:
        parts.append(f"healthy after {int(seconds)} s")
    return "recover: " + " | ".join(parts)


class FilterModule:
    def filters(self):
        return {"devhost_recovery": devhost_recovery, "recovery_summary": recovery_summary}
