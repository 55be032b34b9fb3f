# -*- coding: utf-8 -*-
"""Filters of the cost guard (role cost_guard)."""

import datetime


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


class FilterModule:
    def filters(self):
        return {"cost_windows": cost_windows, "cost_window_days": window_days}
