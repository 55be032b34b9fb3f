# -*- coding: utf-8 -*-
"""Filters of the cost guard (role cost_guard)."""

import datetime
from decimal import Decimal


def cost_windows(today):
    """The last two complete months before `today` (an ISO date), as two
    windows of equal length ([start, end], end exclusive): each starts on its
    month's first day and lasts as long as the shorter of the two months, so
    Cost Explorer compares like with like."""
    day = datetime.date.fromisoformat(str(today)[:10])
    this_month = day.replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    month_before = (last_month - datetime.timedelta(days=1)).replace(day=1)
    days = min((this_month - last_month).days, (last_month - month_before).days)
    span = datetime.timedelta(days=days)
    return {"before": [month_before.isoformat(), (month_before + span).isoformat()],
            "after": [last_month.isoformat(), (last_month + span).isoformat()]}


def window_days(window):
    """Length in days of a [start, end] window; -1 when it is not one."""
    try:
        start, end = window
        return (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(start)).days
    except (TypeError, ValueError):
        return -1


# What the estimate assumes where the live model measures: a difference on
# these is expected, not a disagreement of the two models.
MEASURED = {"s3:standard": "the bucket's bytes now, against the assumed backups",
            "logs:storage": "the log groups' stored bytes now, against the assumed month",
            "ebs:gp2": "the volumes as they are", "ebs:gp3": "the volumes as they are"}


def cost_compare(estimate_rows, live_rows):
    """The estimate's typical month and the live model, per price key (the
    same thing priced the same way: an instance type, a Fargate
    provider, the load balancer's hours, the database class...): the keys
    both have, each with both monthly sums, whether they agree, and why a
    difference is expected where one side measures what the other assumes."""
    def sums(rows):
        out = {}
        for r in rows:
            out[r["key"]] = out.get(r["key"], Decimal(0)) + Decimal(str(r["monthly"]))
        return out

    est, live = sums(estimate_rows), sums(live_rows)
    return [{"key": k, "estimate": f"{est[k]:.2f}", "live": f"{live[k]:.2f}", "agree": est[k] == live[k],
             "why": "" if est[k] == live[k] else MEASURED.get(k, "the live count or size differs from the setting")}
            for k in sorted(set(est) & set(live))]


class FilterModule:
    def filters(self):
        return {"cost_windows": cost_windows, "cost_window_days": window_days, "cost_compare": cost_compare}
