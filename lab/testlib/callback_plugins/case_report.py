"""Test-only callback: every task result of a run, host by host, written as
JSON to the file named by CASE_REPORT_PATH when the run ends. Unlike the
stdout callbacks it keeps the error message of a failed no_log task (the
result itself is censored, the error summary is not), which is what a
refused input prints. Used by labhelpers.refusal_batch."""

import dataclasses
import json
import os

from ansible.plugins.callback import CallbackBase


def _plain(value):
    if dataclasses.is_dataclass(value):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "case_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._rows = []

    def _record(self, result, status):
        error = getattr(result, "exception", None)
        self._rows.append({
            "host": result.host.get_name(),
            "task": result.task.get_name(),
            "status": status,
            "result": _plain(dict(result.result)),
            "error": _plain(error) if error else None,
        })

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["CASE_REPORT_PATH"], "w", encoding="utf-8") as report:
            json.dump(self._rows, report)
