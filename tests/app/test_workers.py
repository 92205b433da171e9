"""GeneratorJob: items arrive in order in the GUI thread; cancel closes the generator; errors report."""

import threading

from nla_explorer.workers import GeneratorJob


def test_items_arrive_in_order_then_finished(qtbot):
    job = GeneratorJob(lambda: iter(range(5)))
    got, threads = [], []
    job.yielded.connect(lambda item: (got.append(item), threads.append(threading.current_thread())))
    with qtbot.waitSignal(job.finished, timeout=5000):
        job.start()
    assert got == [0, 1, 2, 3, 4]
    assert all(t is threading.main_thread() for t in threads)
    assert not job.running


def test_cancel_closes_the_generator(qtbot):
    closed = threading.Event()
    release = threading.Event()

    def endless():
        try:
            while True:
                release.wait(1)
                yield 1
        finally:
            closed.set()

    job = GeneratorJob(endless)
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        job.start()
        job.cancel()
        release.set()
    assert closed.is_set()


def test_an_exception_becomes_failed_with_its_message(qtbot):
    def broken():
        yield 1
        raise ValueError("the learning rate is a banana")

    job = GeneratorJob(broken)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        job.start()
    assert "banana" in blocker.args[0]
    assert not job.running
