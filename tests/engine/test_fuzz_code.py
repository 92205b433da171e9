"""Fuzzing the code form: valid programs match torch, garbage is refused with a message.

Every example runs under a time bound (:func:`time_limit`: a hang fails, it does not block) and
under the canaries (nothing outside the whitelist may run). Short version here (derandomized, a
few hundred examples, ~15 s); ``NLA_FUZZ_LONG=1`` runs 5,000 random examples per test, and
``benchmarks/fuzz_long.py`` reports the counts (``NLA_FUZZ_REPORT``).
"""

import os
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from nla_explorer.engine import explore_code, parse_code, to_code
from nla_explorer.engine.errors import EngineError, ExpressionError
from nla_explorer.engine.code.evaluation import ordered, ordered_in_rounds
from nla_explorer.engine.expression import Block, Expression, Ref
from tests.canaries import Canary
from tests.fuzz_garbage import garbage
from tests.fuzz_programs import programs, reference
from tests.fuzz_support import TALLY, fuzz_settings, time_limit, write_tally

# Odd but legal text makes Python warn while parsing ("invalid decimal literal"); x.T on 1-d too.
pytestmark = [pytest.mark.filterwarnings("ignore::SyntaxWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture(scope="module", autouse=True)
def _tally():
    yield
    write_tally()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """An empty current folder for the examples: anything written there is a breach."""
    folder = tmp_path_factory.mktemp("fuzz_cwd")
    old = os.getcwd()
    os.chdir(folder)
    yield folder
    os.chdir(old)


def leaf_grads(exploration) -> dict[str, np.ndarray]:
    """The engine's traced gradient of each named leaf of the graph."""
    return {node.name: exploration.trace.leaf_grads[node.id].values
            for node in exploration.graph.leaves
            if node.name and node.id in exploration.trace.leaf_grads}


@fuzz_settings(short=200)
@given(programs())
def test_valid_programs_match_torch_and_round_trip(program):
    TALLY["programs"] += 1
    with time_limit(), Canary() as canary:
        exploration = explore_code(program.text)
        expression = exploration.expression
        written = to_code(expression)
        assert parse_code(written) == expression, written
    canary.check()
    expected = reference(program)
    got = leaf_grads(exploration)
    for name, grad in expected.items():
        if grad is None:
            assert name not in got, f"{name} gets a gradient torch does not give"
            continue
        assert name in got, f"leaf {name} has no traced gradient"
        torch.testing.assert_close(torch.from_numpy(np.array(got[name])), grad.detach(),
                                   equal_nan=True, msg=lambda m: f"grad of {name}: {m}")
    assert exploration.output.dim() == 0 and exploration.output_name == program.output


def unnamed(expression):
    """The expression without variable names (code cuts chains deeper than 100 into named steps)."""
    return replace(expression, blocks=tuple(replace(b, name=None) for b in expression.blocks))


def check_garbage(text: str, workdir) -> None:
    """Explore ``text``: a clean refusal, or an expression that round-trips; nothing else."""
    with time_limit(), Canary() as canary:
        try:
            exploration = explore_code(text)
        except EngineError as exc:
            message = str(exc)
            assert message.strip() and "Traceback" not in message, repr(message)
            TALLY["garbage_refused"] += 1
        else:
            TALLY["garbage_accepted"] += 1
            expression = exploration.expression
            assert unnamed(parse_code(to_code(expression))) == unnamed(expression)
    canary.check()
    assert list(workdir.iterdir()) == [], "the code wrote a file"


@fuzz_settings(short=600)
@given(text=garbage())
def test_garbage_is_refused_with_a_message(text, workdir):
    TALLY["garbage"] += 1
    check_garbage(text, workdir)


def round_order(expression):
    """The definition ``ordered`` implements: rounds that release every block whose inputs are
    done, in program order (the original quadratic version, kept as the reference)."""
    done, result, pending = set(), [], list(expression.blocks)
    while pending:
        ready = [b for b in pending if all(i in done for i in b.inputs)]
        if not ready:
            return pending[0].id
        result += ready
        done |= {b.id for b in ready}
        pending = [b for b in pending if b not in ready]
    return [b.id for b in result]


@fuzz_settings(short=200)
@given(st.lists(st.tuples(st.integers(0, 12), st.lists(st.integers(0, 14), max_size=3)),
                max_size=12))
def test_block_order_matches_its_definition(wiring):
    """Random wirings (forward and backward references, cycles, missing and repeated ids)."""
    blocks = tuple(Block(f"b{i}", "neg", tuple(Ref(f"b{j}") for j in reads))
                   for i, reads in wiring)
    expression = Expression(blocks)
    expected = round_order(expression)
    if isinstance(expected, list):
        assert [b.id for b in ordered_in_rounds(expression)] == expected
        order = [b.id for b in ordered(expression)]  # Python's order where the blocks allow it
        assert sorted(order) == sorted(expected)
        done: set[str] = set()
        for block_id in order if len(set(order)) == len(order) else ():
            assert all(s in done for s in expression.block(block_id).inputs)
            done.add(block_id)
    else:
        with pytest.raises(ExpressionError, match=f"block {expected} "):
            ordered(expression)
