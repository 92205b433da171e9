"""The runner survives what a program can do to its process: time, Cancel, memory, abort, exit.

One :class:`Runner` for the whole module: after each fault the next run on it must work (a fresh
child where the old one had to go, the same one where the program's error was only an exception).
"""

from __future__ import annotations

import resource
import threading
import time

import pytest

from nla_explorer.engine.runner.supervisor import Runner, RunFailure

WORKS = """import torch
x = torch.arange(3.0, requires_grad=True)
f = (x * x).sum()
f.backward()
print(x.grad)
"""


@pytest.fixture(scope="module")
def runner():
    with Runner() as running:
        yield running


def run(runner: Runner, source: str, **options):
    return runner.run_cells([("In[1]", 1, source)], **options)


def assert_next_run_works(runner: Runner, fresh_from: int | None = None) -> None:
    """A plain program runs and draws its graph; ``fresh_from``: the pid the new child replaces."""
    result = run(runner, WORKS, timeout=120)
    assert result.error is None, result.error
    assert result.call is not None and result.call.label == "f.backward()"
    assert result.outputs[0].text == "tensor([0., 2., 4.])\n"
    if fresh_from is not None:
        assert runner.pid is not None and runner.pid != fresh_from


def warm_pid(runner: Runner) -> int:
    runner.start()
    return runner.pid


def test_an_endless_loop_ends_at_the_time_limit(runner):
    pid = warm_pid(runner)
    began = time.monotonic()
    with pytest.raises(RunFailure) as failure:
        run(runner, "while True:\n    pass\n", timeout=1.0)
    assert failure.value.kind == "timeout" and "time limit" in str(failure.value)
    assert time.monotonic() - began < 6
    assert_next_run_works(runner, fresh_from=pid)


def test_cancel_from_another_thread_ends_a_sleep_at_once(runner):
    pid = warm_pid(runner)
    timer = threading.Timer(0.3, runner.cancel)
    began = time.monotonic()
    timer.start()
    try:
        with pytest.raises(RunFailure) as failure:
            run(runner, "import time\ntime.sleep(30)\n", timeout=60)
    finally:
        timer.cancel()
    assert failure.value.kind == "cancelled"
    assert time.monotonic() - began < 0.3 + 1.5
    assert_next_run_works(runner, fresh_from=pid)


def test_a_huge_allocation_is_a_memory_error_of_the_program_only(runner):
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    pid = warm_pid(runner)
    result = run(runner, "import torch\nbig = torch.empty(50_000_000_000 // 4)\n")
    assert result.error is not None and result.error.type == "MemoryError"
    assert "memory limit" in result.error.message and result.error.line == 2
    assert runner.pid == pid  # an exception: the child lives on
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert peak_after - peak_before < 200 * 1024  # the window's process allocated nothing big
    assert_next_run_works(runner)


@pytest.mark.parametrize("code, kind, says", [
    ("import os\nos.abort()\n", "crashed", "SIGABRT"),  # a crash named by its signal
    ("import os\nos._exit(0)\n", "exited", "code 0"),  # an exit before the answer
])
def test_a_dying_child_is_a_failure_and_the_next_run_gets_a_fresh_one(runner, code, kind, says):
    pid = warm_pid(runner)
    with pytest.raises(RunFailure) as failure:
        run(runner, code)
    assert failure.value.kind == kind and says in str(failure.value)
    assert_next_run_works(runner, fresh_from=pid)


def test_sys_exit_is_a_system_exit_error_not_a_death(runner):
    pid = warm_pid(runner)
    result = run(runner, "import sys\nprint('bye')\nsys.exit(3)\n")
    assert result.error is not None and result.error.type == "SystemExit"
    assert "sys.exit(3)" in result.error.message and result.error.line == 3
    assert result.outputs[0].text == "bye\n"
    assert runner.pid == pid
    assert_next_run_works(runner)


def test_a_huge_print_is_capped_with_a_note(runner):
    result = run(runner, "print('x' * 10_000_000)\n", output_limit=1_000_000)
    assert result.error is None, result.error
    text = result.outputs[0].text
    assert text.startswith("x" * 1_000_000) and len(text) < 1_000_100
    assert "9,000,001 more characters" in text
    assert_next_run_works(runner)


def test_faults_in_a_row_each_leave_a_working_runner(runner):
    """The failures back to back, without a good run between them, then a good one."""
    for source, kind in (("import os\nos.abort()\n", "crashed"),
                         ("import os\nos._exit(1)\n", "exited"),
                         ("while True:\n    pass\n", "timeout")):
        with pytest.raises(RunFailure) as failure:
            run(runner, source, timeout=1.0)
        assert failure.value.kind == kind
    assert_next_run_works(runner)
