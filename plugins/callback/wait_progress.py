# The project's own callback plugin: a task that runs for a long time says
# so while it runs. Ansible prints a task's result only when it ends, so a
# Spot request being fulfilled, an RDS instance being created or deleted, a
# dump, an import or a restore look like a hung run for minutes. Written once
# here instead of in every waiting task: every 30 seconds, each task still
# running on a host is named with its elapsed time (the task's name says
# what it waits for).

DOCUMENTATION = r"""
name: wait_progress
type: aggregate
short_description: Name every task still running, with its elapsed time, every 30 seconds
description:
  - "While a task runs on a host for longer than O(interval) seconds, prints
    C(… still running after N s: TASK on HOST) every O(interval) seconds,
    until its result comes."
  - A task that prompts (C(pause)) is left alone.
  - Enabled in the project's C(ansible.cfg) (C(callbacks_enabled)).
options:
  interval:
    description: Seconds between two progress lines of a task.
    type: int
    default: 30
    env:
      - name: ITSUPPORT_PROGRESS_INTERVAL
"""

import threading
import time

from ansible.plugins.callback import CallbackBase

PROMPTS = ("pause", "ansible.builtin.pause", "ansible.legacy.pause")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "wait_progress"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._running = {}  # (host, task uuid) -> [task name, start, next report]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self.interval = 30

    def set_options(self, *args, **kwargs):
        super().set_options(*args, **kwargs)
        self.interval = max(1, int(self.get_option("interval")))

    def _watch(self):
        while not self._stop.wait(1):
            now = time.monotonic()
            lines = []
            with self._lock:
                for (host, _), entry in self._running.items():
                    name, start, due = entry
                    if now >= due:
                        entry[2] = due + self.interval
                        lines.append(f"… still running after {int(now - start)} s: {name} on {host}")
            for line in lines:
                self._display.display(line)

    def v2_runner_on_start(self, host, task):
        if task.action in PROMPTS:
            return  # waiting for a person, who is reading the prompt
        with self._lock:
            now = time.monotonic()
            self._running[(host.get_name(), task._uuid)] = [task.get_name(), now, now + self.interval]
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="wait_progress", daemon=True)
            self._thread.start()

    def _done(self, result, *args, **kwargs):
        with self._lock:
            self._running.pop((result._host.get_name(), result._task._uuid), None)

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = v2_runner_on_unreachable = _done

    def v2_playbook_on_stats(self, stats):
        self._stop.set()
