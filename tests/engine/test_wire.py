"""The wire format: results survive the pipe bit for bit, and malformed frames build nothing."""

from __future__ import annotations

import dataclasses
import json
import struct

import numpy as np
import pytest
import torch

from nla_explorer.engine.autograd.trace import BackwardStep
from nla_explorer.engine.report import run_json
from nla_explorer.engine.runner import wire
from nla_explorer.engine.runner.result import CellOutput, ModuleInfo, RunError, RunResult
from nla_explorer.engine.runner.safe_run import run_safe
from nla_explorer.engine.runner.supervisor import Runner
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, snapshot
from tests.engine.app_record import enc
from tests.engine.run_record import run_record

_LENGTH = struct.Struct("<Q")
SAFE_CODE = """import torch
torch.manual_seed(0)
A = torch.randn(3, 3, requires_grad=True)
x = torch.randn(3, requires_grad=True)
f = 0.5 * x @ A @ x - x.sum()
f.backward(retain_graph=True)
g, = torch.autograd.grad((A * A).sum(), [A])
h = (x.exp() / 0).sum()
h.backward()
"""
PYTHON_CODE = """import torch
import matplotlib.pyplot as plt
from torch import nn
torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(3, 4)

    def forward(self, x):
        return torch.tanh(self.l1(x)).sum()


net = Net()
for k in range(2):
    net.zero_grad()
    loss = net(torch.randn(5, 3))
    loss.backward()
    print(k, loss.item())
plt.plot([1, 2, 3])
half = torch.ones(4, dtype=torch.bfloat16, requires_grad=True)
(half * 3).sum().backward()
"""


def round_trip(obj: object) -> object:
    return wire.decode(wire.encode(obj))


def plain(value: object) -> object:
    """``value`` with every array and tensor as its bytes, every dataclass as its fields."""
    if isinstance(value, torch.Tensor):
        return ("tensor", *enc(value))
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, BackwardStep):
        return ("step", value.index, value.node_id, plain(value.grad_output_tensors),
                plain(value.grad_input_tensors))
    if dataclasses.is_dataclass(value):
        return (type(value).__name__, {f.name: plain(getattr(value, f.name))
                                       for f in dataclasses.fields(value)
                                       if not f.name.startswith("_")})
    if isinstance(value, (tuple, list)):
        return tuple(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def record(result: RunResult) -> tuple:
    """Everything a result holds, bit for bit, and what ``trace --json`` shows of it."""
    names = set(result.tensors or {}) | set(result.final_grads or {})
    return plain(result), run_record(result, names), run_json(result), result.notes


def frame(header: object, blobs: tuple[bytes, ...] = ()) -> bytes:
    """A hand-made frame (as a misbehaving child could send)."""
    text = json.dumps(header).encode("utf-8")
    parts = [_LENGTH.pack(len(text)), text, _LENGTH.pack(len(blobs))]
    for data in blobs:
        parts += [_LENGTH.pack(len(data)), data]
    return b"".join(parts)


# -- round trips -----------------------------------------------------------------------------------
def test_a_safe_run_result_round_trips_bit_for_bit():
    result = run_safe(SAFE_CODE)
    assert result.error is None and len(result.calls) == 3 and result.graph is not None
    back = round_trip(result)
    assert isinstance(back, RunResult) and record(back) == record(result)
    assert [c.results for c in back.calls][1][0].values.tolist() == \
        result.calls[1].results[0].values.tolist()


def test_a_python_run_result_round_trips_bit_for_bit():
    with Runner() as runner:
        result = runner.run_cells([("In[1]", 1, PYTHON_CODE)], timeout=120)
    assert result.error is None, result.error
    assert result.total_calls == 3 and result.outputs[0].figures  # a PNG came through
    assert any(n.module == "net.l1" for n in result.calls[0].graph.nodes)
    back = round_trip(result)
    assert record(back) == record(result)
    assert back.checks == result.checks and back.tensors.keys() == result.tensors.keys()


def test_large_step_gradients_travel_as_their_summaries():
    result = run_safe("import torch\ntorch.manual_seed(0)\n"
                      "w = torch.randn(200, 100, requires_grad=True)\n(w * w).sum().backward()\n")
    back = round_trip(result)
    for before, after in zip(result.trace.steps, back.trace.steps):
        for old, new in zip(before.grad_outputs + before.grad_inputs,
                            after.grad_outputs + after.grad_inputs):
            assert (old is None) == (new is None)
            if old is not None and old.values is None:
                assert new.values is None and new.summary == old.summary
    assert run_json(back) == run_json(result)


def test_zero_dimensional_arrays_and_tensors_stay_zero_dimensional():
    values = (np.array(2.5), np.array(7, dtype=np.int64), np.array(True), torch.tensor(1.5),
              torch.tensor(3, dtype=torch.int32), snapshot(torch.tensor(-4.0), FULL_VALUE_LIMIT))
    back = round_trip({"values": values})["values"]
    for before, after in zip(values[:5], back[:5]):
        assert after.shape == () and after.dtype == before.dtype and after.item() == before.item()
    assert back[5].shape == () and back[5].values.shape == () and back[5].values.item() == -4.0


def test_bfloat16_and_half_tensors_survive_bitwise():
    bits = np.array([0x7FC1, 0xFFFF, 0x0001, 0x8000, 0x7F80, 0xFF80, 0x3F80], dtype=np.uint16)
    odd = torch.from_numpy(bits.view(np.int16)).view(torch.bfloat16)  # NaNs, subnormal, -0, inf
    samples = (odd, torch.randn(3, 5).to(torch.bfloat16).t(), torch.tensor(2.0).bfloat16(),
               torch.randn(4, 3, dtype=torch.float16)[:, 1],
               torch.empty(0, 2, dtype=torch.bfloat16))
    for before, after in zip(samples, round_trip(samples)):
        assert after.dtype == before.dtype and after.shape == before.shape
        assert enc(after) == enc(before)


def test_the_runner_s_own_dataclasses_round_trip():
    value = (RunError("ValueError", "bad", 3, "In[2]", "trace", "x"),
             CellOutput("In[1]", "text\n", (b"\x89PNG", b""), None),
             ModuleInfo("net.l1", "Linear", 16),
             {"nested": [1, 2.5, None, "s", (1, (2,))], (1, "k"): b"\x00\xff"})
    assert round_trip(value) == value


# -- malformed frames ------------------------------------------------------------------------------
GOOD = wire.encode({"result": None})
MALFORMED = {
    "empty": b"",
    "short length": b"\x05\x00",
    "header past the end": _LENGTH.pack(1000) + b"{}",
    "not json": _LENGTH.pack(3) + b"abc" + _LENGTH.pack(0),
    "not utf-8": _LENGTH.pack(2) + b"\xff\xfe" + _LENGTH.pack(0),
    "no blob count": GOOD[:-8],
    "missing blob": frame({"b": 0}),
    "blob count past the end": frame({"b": 0}, (b"ab",))[:-10],
    "unknown type": frame({"o": ["Popen", {"args": ["touch", "pwned"]}]}),
    "unregistered dataclass": frame({"o": ["BackwardStep", {}]}),
    "unknown field": frame({"o": ["ModuleInfo", {"path": "a", "kind": "Linear", "parameters": 1,
                                                 "__class__": "x"}]}),
    "missing field": frame({"o": ["GraphEdge", {"source": "n0"}]}),
    "object dtype array": frame({"n": ["|O", [1], 0]}, (b"\x00" * 8,)),
    "string dtype array": frame({"n": ["<U2", [1], 0]}, (b"\x00" * 8,)),
    "void dtype array": frame({"n": ["|V8", [1], 0]}, (b"\x00" * 8,)),
    "unknown dtype": frame({"n": ["zz", [1], 0]}, (b"\x00" * 8,)),
    "array of the wrong size": frame({"n": ["<f4", [25], 0]}, (b"\x00" * 8,)),
    "unknown tensor dtype": frame({"T": ["object", [1], 0]}, (b"\x00" * 8,)),
    "unknown tag": frame({"x": 1}),
    "two tags": frame({"t": [], "d": []}),
    "unhashable key": frame({"d": [[{"d": []}, 1]]}),
    "bad step": frame({"S": [0, "n0", 5, []]}),
}
#: Malformed frames that once escaped as another exception (found by this test), and more.
MALFORMED.update({
    "tensor of the wrong size": frame({"T": ["float32", [25], 0]}, (b"\x00" * 8,)),
    "tensor bytes not whole elements": frame({"T": ["float32", [2], 0]}, (b"\x00" * 10,)),
    "blob shorter than its length": frame({"T": ["float32", [25], 0]}, (b"\x00" * 100,))[:-90],
    "nesting deeper than the stack": _LENGTH.pack(20000) + b"[" * 10000 + b"]" * 10000
    + _LENGTH.pack(0),
    "negative dimension": frame({"T": ["float32", [-1], 0]}, (b"\x00" * 8,)),
    "negative blob index": frame({"b": -1}, (b"\x00",)),
    "bytes after the frame": frame({"b": 0}, (b"\x00",)) + b"extra",
})


@pytest.mark.parametrize("data", [
    *(pytest.param(v, id=k) for k, v in MALFORMED.items()),
])
def test_a_malformed_frame_is_a_wire_error(data):
    with pytest.raises(wire.WireError):
        wire.decode(data)


def test_an_unknown_type_builds_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("Popen", "Path", "type", "eval", "__import__"):
        with pytest.raises(wire.WireError):
            wire.decode(frame({"o": [name, {"args": ["touch", "pwned"]}]}))
    assert not (tmp_path / "pwned").exists()
    assert "Popen" not in wire.TYPES and all(isinstance(t, type) for t in wire.TYPES.values())


def test_anything_not_plain_data_is_sent_as_text():
    class Odd:
        def __repr__(self) -> str:
            return "<odd>"
    assert round_trip({"x": Odd(), "f": len}) == {"x": "<odd>", "f": "<built-in function len>"}


def test_every_dataclass_of_the_expression_model_travels_as_itself():
    """An argument type the wire did not know arrived as its repr, a string (``m ** 0.5`` in
    the polyfit example became the text "Calc(...)" and its blocks lost the divisor)."""
    from nla_explorer.engine import EXAMPLES, parse_code
    from nla_explorer.engine import expression as model

    kinds = {cls for cls in vars(model).values()
             if isinstance(cls, type) and dataclasses.is_dataclass(cls)
             and cls.__module__ == model.__name__}
    assert kinds <= set(wire.TYPES.values()), kinds - set(wire.TYPES.values())
    polyfit = parse_code(EXAMPLES["polyfit_net"].code)
    assert wire.decode(wire.encode(polyfit)) == polyfit
