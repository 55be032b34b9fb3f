"""plugins/callback/wait_progress.py: a task still running is named with
its elapsed time every interval, and no more once its result came."""

import time
import types


def fake(name, uuid, action="ansible.builtin.command"):
    return types.SimpleNamespace(get_name=lambda: name, _uuid=uuid, action=action)


def test_a_long_task_is_named_with_its_elapsed_time_until_it_ends(plugin):
    mod = plugin("callback", "wait_progress")
    cb = mod.CallbackModule()
    cb.interval = 1
    lines = []
    cb._display = types.SimpleNamespace(display=lines.append)
    host, task, quick = fake("itsupport-dev-devhost", "h"), fake("Wait for the Spot request", "t1"), fake("Quick", "t2")
    cb.v2_runner_on_start(host, task)
    cb.v2_runner_on_start(host, quick)
    cb.v2_runner_on_start(host, fake("Type the environment's name", "t3", "ansible.builtin.pause"))
    cb.v2_runner_on_ok(types.SimpleNamespace(_host=host, _task=quick))
    time.sleep(2.5)
    cb.v2_runner_on_failed(types.SimpleNamespace(_host=host, _task=task))
    seen = len(lines)
    time.sleep(1.5)
    cb.v2_playbook_on_stats(None)
    assert seen >= 1 and len(lines) == seen, lines
    assert lines[0] == "… still running after 1 s: Wait for the Spot request on itsupport-dev-devhost"
    assert not any("Quick" in line or "Type" in line for line in lines)
