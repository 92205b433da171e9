"""A corrupted session file opened in the window is refused and the current session stays."""

import random

import pytest

from tests.fuzz_support import TALLY, Saved, saved_examples, write_tally


@pytest.fixture(scope="module", autouse=True)
def _tally():
    yield
    write_tally()


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> Saved:
    return saved_examples(tmp_path_factory.mktemp("sessions"))


def test_opening_a_corrupted_file_keeps_the_current_session(window, monkeypatch, originals,
                                                            tmp_path):
    warnings = []
    window.sessions.failed.connect(warnings.append)
    rng = random.Random(9)
    refused = 0
    for i in range(24):
        window.load_example("quadratic")
        state, code, graph = window.document.state, window.code_panel.text(), window.document.graph
        raw = bytearray(originals[rng.choice(sorted(originals))])
        if i % 3 == 0:
            raw = raw[:rng.randrange(len(raw))]
        else:
            for _ in range(4):
                raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        path = tmp_path / f"corrupt{i}.nla"
        path.write_bytes(bytes(raw))
        TALLY["session_mutations"] += 1
        if window.open_path(str(path)):
            continue  # a flip that leaves a valid session (in a number, say)
        refused += 1
        assert window.document.state is state and window.document.graph is graph
        assert window.code_panel.text() == code
        assert warnings and str(path.name) in warnings[-1]
    assert refused >= 12
