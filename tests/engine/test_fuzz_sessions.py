"""Fuzzing session files: mutated, truncated and hostile ``.nla`` files are refused with a message.

Real sessions (every course example, saved by the engine) are bit-flipped, truncated, spliced, and
changed as JSON (types swapped, keys deleted or added, enormous arrays, deep nesting, code-looking
strings). Loading either gives an expression (which then evaluates or is refused cleanly) or an
:class:`ExpressionError` with a message; nothing runs (canaries), nothing hangs (the window keeps
its current session: tests/app/test_fuzz_sessions.py). ``NLA_FUZZ_LONG=1`` runs 5,000 mutations
per test.
"""

import json
import resource

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nla_explorer.engine import ExpressionError, to_code
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.pipeline import explore_expression
from nla_explorer.engine.sessions.nla_file import FORMAT, load_session
from tests.canaries import Canary
from tests.fuzz_garbage import ATTACKS
from tests.fuzz_support import (TALLY, Saved, fuzz_settings, saved_examples, time_limit,
                                write_tally)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

#: Raw JSON text spliced in place of a value: what ``json.dumps`` would never write.
RAW = (
    "[" * 100_000 + "]" * 100_000, "{\"a\": " * 50_000 + "1" + "}" * 50_000, "9" * 5000,
    "1e999", "-1e999", "NaN", "Infinity", "-0", "1E-400", "[" + ",".join(["7"] * 1_000_000) + "]",
    "[1000000000, 1000000000]", "{\"tuple\": [1000000000, 1000000000]}", "\"\\ud800\"",
    "\"\\u0000\"", "{\"ref\": [1]}", "{\"dtype\": [\"float64\"]}", "{\"var\": {\"a\": 1}}",
    "{\"tuple\": " * 20 + "1" + "}" * 20, "{\"slice\": [1, 2]}", "{\"hole\": 3}", "true",
)
CODE = tuple(ATTACKS[:12]) + ("__import__('os').system('echo nla_canary')", "os.system",
                              "torch.load", "__class__", "eval", "exec('1')", "../../etc/passwd")


def json_values():
    """Any JSON value, of every type, with extremes."""
    leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                     st.sampled_from(CODE))
    return st.recursive(leaf, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
        max_leaves=8)


@pytest.fixture(scope="module", autouse=True)
def _tally():
    yield
    write_tally()


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> Saved:
    return saved_examples(tmp_path_factory.mktemp("sessions"))


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    return tmp_path_factory.mktemp("mutants") / "mutant.nla"


def paths(doc, prefix=()):
    """Every path (tuple of keys and indices) to a value inside ``doc``."""
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from paths(value, prefix + (index,))


def byte_mutation(draw, raw: bytes) -> bytes:
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "duplicate"]))
    data = bytearray(raw)
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] ^= 1 << draw(st.integers(0, 7))
        return bytes(data)
    at = draw(st.integers(0, len(data)))
    if kind == "truncate":
        return bytes(data[:at])
    if kind == "insert":
        return bytes(data[:at]) + draw(st.binary(min_size=1, max_size=16)) + bytes(data[at:])
    end = min(len(data), at + draw(st.integers(1, 200)))
    if kind == "delete":
        return bytes(data[:at] + data[end:])
    return bytes(data[:end] + data[at:end] + data[end:])


def json_mutation(draw, raw: bytes) -> bytes:
    doc = json.loads(raw)
    for _ in range(draw(st.integers(1, 3))):
        doc = _change(draw, doc)
    text = json.dumps(doc, allow_nan=True)
    if "\"<RAW>\"" in text:
        text = text.replace("\"<RAW>\"", draw(st.sampled_from(RAW)), 1)
    return text.encode("utf-8", "surrogatepass")


def _change(draw, doc):
    path = draw(st.sampled_from(list(paths(doc))))
    kind = draw(st.sampled_from(["swap", "delete", "add", "raw", "code", "wrap"]))
    if not path:
        return draw(json_values()) if kind == "swap" else [doc] if kind == "wrap" else doc
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if kind == "delete":
        del parent[last]
    elif kind == "add" and isinstance(parent, dict):
        parent[draw(st.sampled_from(["extra", "__class__", "code", "id", "format"]))] = \
            draw(json_values())
    elif kind == "add":
        parent.insert(last, draw(json_values()))
    elif kind == "raw":
        parent[last] = "<RAW>"
    elif kind == "code":
        parent[last] = draw(st.sampled_from(CODE))
    elif kind == "wrap":
        parent[last] = [parent[last]] if draw(st.booleans()) else {"tuple": [parent[last]]}
    else:
        parent[last] = draw(json_values())
    return doc


def check_load(path) -> str:
    """Open ``path`` as the app would: a clean refusal, or an expression that evaluates or says
    why it cannot; never another exception, nothing executed."""
    with time_limit(), Canary() as canary:
        try:
            expression, layout = load_session(path)
        except ExpressionError as exc:
            assert str(exc).strip() and "Traceback" not in str(exc)
            outcome = "refused"
        else:
            assert isinstance(layout, dict)
            outcome = "loaded"
            try:
                explore_expression(expression)
                to_code(expression)
            except EngineError as exc:
                assert str(exc).strip()
                outcome = "loaded, not evaluable"
    canary.check()
    return outcome


@fuzz_settings(short=400)
@given(data=st.data())
def test_mutated_sessions_are_refused_or_load_cleanly(data, originals, target):
    name = data.draw(st.sampled_from(sorted(originals)), label="example")
    mutate = data.draw(st.sampled_from([byte_mutation, json_mutation]), label="mutation")
    target.write_bytes(mutate(data.draw, originals[name]))
    TALLY["session_mutations"] += 1
    TALLY["session_" + check_load(target).replace(", ", "_").replace(" ", "_")] += 1


ENORMOUS = {
    "shape 10^9 x 10^9": lambda d: d["blocks"][1].update(args=[{"tuple": [10**9, 10**9]}]),
    "10^6 numbers": lambda d: d["blocks"][1].update(args=[[7] * 10**6]),
    "10^6 numbers as a tuple": lambda d: d["blocks"][1].update(args=[{"tuple": [7] * 10**6}]),
    "200,000 number entries": lambda d: d.update(numbers=[["n", 1]] * 200_000),
    "over 5 MB": lambda d: d.update(notes="x" * 5_100_000),
    "tuple of 10^4": lambda d: d["blocks"][1].update(args=[{"tuple": [1] * 10_001}]),
    "5001 blocks": lambda d: d.update(blocks=d["blocks"] * 1000 + d["blocks"][:1]),
    "long chain": lambda d: d.update(blocks=_chain(4000), output="c3999"),
    "deep args": lambda d: d["blocks"][1].update(args=[_nest(100_000)]),
    "version 2": lambda d: d.update(version=2),
    "version true": lambda d: d.update(version=True),
    "format list": lambda d: d.update(format=[FORMAT]),
    "output list": lambda d: d.update(output=["b1"]),
    "op list": lambda d: d["blocks"][0].update(op=["randn"]),
    "dtype list": lambda d: d["blocks"][1].update(kwargs=[["dtype", {"dtype": ["float64"]}]]),
    "cycle": lambda d: d["blocks"][0].update(args=[{"ref": d["blocks"][-1]["id"]}]),
}


def _chain(n: int) -> list:
    first = {"id": "c0", "op": "randn", "args": [3], "kwargs": [["requires_grad", True]]}
    return [first] + [{"id": f"c{i}", "op": "neg", "args": [{"ref": f"c{i - 1}"}]}
                      for i in range(1, n)]


def _nest(depth: int):
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("case", list(ENORMOUS))
def test_enormous_and_deep_sessions_are_bounded(case, originals, target):
    doc = json.loads(originals["quadratic"])
    ENORMOUS[case](doc)
    try:
        text = json.dumps(doc)
    except RecursionError:  # json.dumps cannot write it either: splice the text in
        doc["blocks"][1]["args"] = ["<NEST>"]
        text = json.dumps(doc).replace("\"<NEST>\"", "[" * 100_000 + "]" * 100_000)
    target.write_text(text)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    check_load(target)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 500, f"loading took {grown_mb:.0f} MB more memory"
    TALLY["session_mutations"] += 1
