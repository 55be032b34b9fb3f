"""The recovery decision table (plugins/filter/recover.py), driven row by
row with facts shaped like amazon.aws.ec2_instance_info and
ec2_spot_instance_info results, as AWS reports them for each state. moto
models none of the Spot states (it never stops, relaunches or marks a
request), so these rows are only testable this way."""

import pytest
from labhelpers import project_module

recover = project_module("plugins/filter/recover.py")

NAME = "itsupport-dev-devhost"
NOW = "2026-11-27T12:00:00+00:00"


def instance(iid, state, name=NAME, request=None):
    i = {"instance_id": iid, "state": {"name": state, "code": 0}, "tags": {"Project": "itsupport"}}
    if name:
        i["tags"]["Name"] = name
    if request:
        i["spot_instance_request_id"] = request
        i["instance_lifecycle"] = "spot"
    return i


def request(rid, state, code, iid=None, updated="2026-11-27T11:50:00+00:00"):
    r = {"spot_instance_request_id": rid, "state": state,
         "status": {"code": code, "message": code, "update_time": updated}}
    if iid:
        r["instance_id"] = iid
    return r


def decide(instances, requests=(), **kw):
    return recover.devhost_recovery(instances, list(requests), name=NAME, now=NOW, **kw)


def test_running_is_probed_first():
    plan = decide([instance("i-1", "running", request="sir-1")],
                  [request("sir-1", "active", "fulfilled", "i-1")])
    assert (plan["action"], plan["instance_id"], plan["request_id"]) == ("probe", "i-1", "sir-1")


def test_running_and_healthy_does_nothing():
    plan = decide([instance("i-1", "running", request="sir-1")],
                  [request("sir-1", "active", "fulfilled", "i-1")], stack_healthy=True)
    assert plan["action"] == "none"
    assert plan["found"] == "running, stack healthy"


def test_running_and_unhealthy_converges():
    plan = decide([instance("i-1", "running")], stack_healthy=False)
    assert plan["action"] == "converge"
    assert "restore if the data directory is empty" in plan["reason"]


@pytest.mark.parametrize("code", ["instance-stopped-no-capacity", "instance-stopped-by-price"])
def test_stopped_by_ec2_waits_and_never_starts(code):
    plan = decide([instance("i-1", "stopped", request="sir-1")],
                  [request("sir-1", "disabled", code, "i-1")])
    assert plan["action"] == "wait"
    assert code in plan["found"]
    assert plan["stopped_minutes"] == 10


def test_marked_for_stop_while_stopping_waits():
    plan = decide([instance("i-1", "stopping", request="sir-1")],
                  [request("sir-1", "active", "marked-for-stop", "i-1")])
    assert plan["action"] == "wait"


def test_stopped_by_ec2_long_enough_is_replaced_when_asked():
    facts = ([instance("i-1", "stopped", request="sir-1")],
             [request("sir-1", "disabled", "instance-stopped-no-capacity", "i-1",
                      updated="2026-11-27T10:00:00+00:00")])
    assert decide(*facts)["action"] == "wait"
    assert decide(*facts, replace_after_minutes=180)["action"] == "wait"
    plan = decide(*facts, replace_after_minutes=120)
    assert (plan["action"], plan["stopped_minutes"], plan["request_id"]) == ("replace", 120, "sir-1")


def test_stopped_by_a_person_is_started():
    plan = decide([instance("i-1", "stopped", request="sir-1")],
                  [request("sir-1", "disabled", "instance-stopped-by-user", "i-1")])
    assert plan["action"] == "start"
    assert "instance-stopped-by-user" in plan["found"]


def test_stopped_without_a_spot_request_is_started():
    # An on-demand dev host, or moto (which gives launch-template instances no request).
    plan = decide([instance("i-1", "stopped")])
    assert plan["action"] == "start"


def test_terminated_and_relaunched_is_adopted():
    # The request now points to a new, untagged instance.
    plan = decide([instance("i-1", "terminated", request="sir-1"), instance("i-2", "running", name="")],
                  [request("sir-1", "active", "fulfilled", "i-2")])
    assert (plan["action"], plan["instance_id"]) == ("adopt", "i-2")
    assert plan["found"] == "terminated, relaunched by the Spot request"


def test_terminated_without_open_request_is_provisioned():
    plan = decide([instance("i-1", "terminated", request="sir-1")],
                  [request("sir-1", "cancelled", "instance-terminated-by-user", "i-1")])
    assert (plan["action"], plan["found"], plan["request_id"]) == ("provision", "terminated", "")


def test_terminated_with_a_request_still_open_cancels_it_first():
    plan = decide([instance("i-1", "terminated", request="sir-1")],
                  [request("sir-1", "open", "pending-fulfillment")])
    assert (plan["action"], plan["request_id"]) == ("provision", "sir-1")
    assert "cancel" in plan["reason"]


def test_nothing_at_all_is_provisioned():
    plan = decide([])
    assert (plan["action"], plan["found"]) == ("provision", "absent")


def test_two_live_dev_hosts_are_refused_and_named():
    plan = decide([instance("i-1", "running", request="sir-1"), instance("i-9", "stopped")],
                  [request("sir-1", "active", "fulfilled", "i-1")])
    assert plan["action"] == "refuse"
    assert "i-1" in plan["reason"] and "i-9" in plan["reason"]


def test_an_untagged_orphan_next_to_the_dev_host_is_refused():
    # A relaunch the request made while the tagged host still lives.
    plan = decide([instance("i-1", "running", request="sir-1"), instance("i-2", "pending", name="")],
                  [request("sir-1", "active", "fulfilled", "i-2")])
    assert plan["action"] == "refuse"
    assert "i-2 (pending, Name=-)" in plan["reason"]


def test_an_instance_listed_twice_counts_once():
    host = instance("i-1", "running")
    assert decide([host, dict(host)])["action"] == "probe"


def test_summary_line():
    plan = decide([instance("i-1", "terminated")])
    plan["instance_id"] = "i-2"
    line = recover.recovery_summary(plan, "s3://b/mysql/20261127T115500Z.sql.gz", 312.7)
    assert line == ("recover: dev host i-2 | found: terminated | action: provision | "
                    "data: restored from s3://b/mysql/20261127T115500Z.sql.gz | healthy after 312 s")
    assert "data: not restored" in recover.recovery_summary(plan)
