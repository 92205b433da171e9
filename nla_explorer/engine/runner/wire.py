"""What crosses the pipe between the window and its child: plain data, never pickles or code.

A message is one frame: an 8-byte length, a JSON document, then the binary blobs it refers to
(tensor and array bytes), each with its own 8-byte length. The JSON holds only plain values and
tagged objects: ``{"t": [...]}`` a tuple, ``{"d": [[k, v], ...]}`` a dict, ``{"b": i}`` bytes,
``{"n": [dtype, shape, i]}`` a numpy array, ``{"T": [dtype, shape, i]}`` a tensor,
``{"S": [...]}`` a backward step, ``{"E": 0}`` the ``...`` of an index and ``{"o": [type, {field: value}]}`` one of the frozen
dataclasses registered in :data:`TYPES`. Decoding builds nothing else: an unknown type, a field
the type does not have or a dtype outside the table is an error, so a child that misbehaves can
send wrong numbers but never make the window run anything.
"""

from __future__ import annotations

import dataclasses
import json
import struct
from typing import BinaryIO

import numpy as np
import torch

from nla_explorer.engine.autograd.backward_calls import BackwardCall
from nla_explorer.engine.autograd.gc_pause import paused_gc
from nla_explorer.engine.autograd.graph import (
    AutogradGraph, GraphEdge, GraphNode, ModuleInfo, SavedValue,
)
from nla_explorer.engine.autograd.local_jacobian import LocalJacobian, NodeJacobian
from nla_explorer.engine.autograd.trace import BackwardStep, BackwardTrace, Snapshots
from nla_explorer.engine.expression import Block, Calc, DType, Expression, Hole, Ref, Slice, Var
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, TensorData, snapshot

#: The dataclasses a message may hold, by name (the runner's own are added by result.py).
TYPES: dict[str, type] = {cls.__name__: cls for cls in (
    TensorData, SavedValue, GraphNode, GraphEdge, AutogradGraph, ModuleInfo, BackwardTrace,
    BackwardCall, Expression, Block, Ref, Var, Calc, Slice, DType, Hole, LocalJacobian,
    NodeJacobian)}

_TORCH_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64,
    torch.complex128, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool)}
_NUMPY_KINDS = set("biufc")  # bool, int, uint, float, complex: never object arrays
_LENGTH = struct.Struct("<Q")
#: A frame larger than this is refused (a runaway child must not exhaust the window's memory).
MAX_FRAME = 2 << 30


class WireError(Exception):
    """A message that is not well-formed plain data."""


def register(*classes: type) -> None:
    """Allow these frozen dataclasses in messages."""
    for cls in classes:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} is not a dataclass")
        TYPES[cls.__name__] = cls


# -- encoding --------------------------------------------------------------------------------------
def encode(obj: object, step_limit: int = FULL_VALUE_LIMIT) -> bytes:
    """``obj`` as one frame. Step gradients above ``step_limit`` elements travel as summaries."""
    blobs: list[bytes] = []

    def blob(data: bytes) -> int:
        blobs.append(data)
        return len(blobs) - 1

    def tensor_bytes(t: torch.Tensor) -> bytes:
        flat = t.detach().cpu().clone(memory_format=torch.contiguous_format).reshape(-1)
        return flat.view(torch.uint8).numpy().tobytes()

    def step_item(t):
        if isinstance(t, torch.Tensor) and t.numel() > step_limit:
            return enc(snapshot(t, step_limit))
        return enc(t)

    def enc(v: object) -> object:
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if v is Ellipsis:  # an index of the code form: x[..., 0]
            return {"E": 0}
        if isinstance(v, tuple):
            return {"t": [enc(x) for x in v]}
        if isinstance(v, list):
            return [enc(x) for x in v]
        if isinstance(v, dict):
            return {"d": [[enc(k), enc(x)] for k, x in v.items()]}
        if isinstance(v, (bytes, bytearray)):
            return {"b": blob(bytes(v))}
        if isinstance(v, np.ndarray):
            arr = v if v.flags.c_contiguous else v.copy(order="C")  # (keeps 0-d arrays 0-d)
            return {"n": [arr.dtype.str, list(arr.shape), blob(arr.tobytes())]}
        if isinstance(v, torch.Tensor):
            name = str(v.dtype).removeprefix("torch.")
            if name not in _TORCH_DTYPES:
                return enc(snapshot(v, step_limit))
            return {"T": [name, list(v.shape), blob(tensor_bytes(v))]}
        if isinstance(v, BackwardStep):
            outs, ins = v.grad_output_tensors, v.grad_input_tensors
            return {"S": [v.index, v.node_id, [step_item(t) for t in outs],
                          [step_item(t) for t in ins]]}
        if dataclasses.is_dataclass(v) and type(v).__name__ in TYPES:
            fields = {f.name: enc(getattr(v, f.name)) for f in dataclasses.fields(v)
                      if f.init and not f.name.startswith("_")}
            return {"o": [type(v).__name__, fields]}
        return repr(v)  # anything else arrives as text

    with paused_gc():  # tens of thousands of small objects: a collection would find nothing
        header = json.dumps(enc(obj), separators=(",", ":")).encode("utf-8")
    parts = [_LENGTH.pack(len(header)), header, _LENGTH.pack(len(blobs))]
    for data in blobs:
        parts += [_LENGTH.pack(len(data)), data]
    return b"".join(parts)


# -- decoding --------------------------------------------------------------------------------------
def decode(frame: bytes, limit: int = FULL_VALUE_LIMIT) -> object:
    """The object of one frame (see the module docstring); :class:`WireError` if malformed."""
    try:
        (size,) = _LENGTH.unpack_from(frame, 0)
        header = json.loads(frame[8:8 + size].decode("utf-8"))
        offset = 8 + size
        (count,) = _LENGTH.unpack_from(frame, offset)
        offset += 8
        blobs = []
        for _ in range(count):
            (length,) = _LENGTH.unpack_from(frame, offset)
            if offset + 8 + length > len(frame):
                raise ValueError("a blob is shorter than its length says")
            blobs.append(frame[offset + 8:offset + 8 + length])
            offset += 8 + length
        if offset != len(frame):
            raise ValueError("bytes after the last blob")
    except (struct.error, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"malformed frame: {exc}") from None
    try:
        with paused_gc():
            return _Decoder(blobs, Snapshots(limit)).dec(header)
    except (KeyError, IndexError, TypeError, ValueError, RuntimeError) as exc:  # RecursionError
        raise WireError(f"malformed message: {type(exc).__name__}: {exc}") from None


class _Decoder:
    def __init__(self, blobs: list[bytes], snap: Snapshots) -> None:
        self.blobs, self.snap = blobs, snap

    def dec(self, v: object) -> object:
        if isinstance(v, list):
            return [self.dec(x) for x in v]
        if not isinstance(v, dict):
            return v
        if len(v) != 1:
            raise ValueError("a tagged object has one key")
        (tag, body), = v.items()
        if tag == "t":
            return tuple(self.dec(x) for x in body)
        if tag == "E":
            return Ellipsis
        if tag == "d":
            return {_hashable(self.dec(k)): self.dec(x) for k, x in body}
        if tag == "b":
            return self.blobs[_index(body)]
        if tag == "n":
            dtype, shape, index = body
            kind = np.dtype(dtype)
            if kind.kind not in _NUMPY_KINDS:
                raise ValueError(f"array dtype {dtype!r} is not plain numbers")
            return np.frombuffer(self.blobs[_index(index)], dtype=kind).reshape(_shape(shape))
        if tag == "T":
            dtype, shape, index = body
            raw = self.blobs[_index(index)]
            flat = torch.frombuffer(bytearray(raw), dtype=torch.uint8) if raw else \
                torch.empty(0, dtype=torch.uint8)
            return flat.view(_TORCH_DTYPES[dtype]).reshape(_shape(shape))
        if tag == "S":
            index, node_id, outs, ins = body
            return BackwardStep.restored(int(index), str(node_id), tuple(self.dec(outs)),
                                         tuple(self.dec(ins)), self.snap)
        if tag == "o":
            name, fields = body
            cls = TYPES[name]
            allowed = {f.name for f in dataclasses.fields(cls) if f.init}
            unknown = set(fields) - allowed
            if unknown:
                raise ValueError(f"{name} has no field {sorted(unknown)[0]!r}")
            return cls(**{k: self.dec(x) for k, x in fields.items()})
        raise ValueError(f"unknown tag {tag!r}")


def _index(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"bad blob index {value!r}")
    return value


def _shape(value: object) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in value):
        raise ValueError(f"bad shape {value!r}")
    return tuple(value)


def _hashable(key: object) -> object:
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


# -- framing on a stream ---------------------------------------------------------------------------
def write_frame(stream: BinaryIO, frame: bytes) -> None:
    stream.write(frame)
    stream.flush()


def read_frame(stream: BinaryIO) -> bytes | None:
    """One whole frame from ``stream``; ``None`` at end of file (the other side is gone)."""
    head = _read_exactly(stream, 8)
    if head is None:
        return None
    (size,) = _LENGTH.unpack(head)
    parts = [head]
    header = _read_exactly(stream, size) if size <= MAX_FRAME else None
    count_raw = _read_exactly(stream, 8) if header is not None else None
    if count_raw is None:
        return None
    parts += [header, count_raw]
    total = size
    for _ in range(_LENGTH.unpack(count_raw)[0]):
        length_raw = _read_exactly(stream, 8)
        if length_raw is None:
            return None
        (length,) = _LENGTH.unpack(length_raw)
        total += length
        data = _read_exactly(stream, length) if total <= MAX_FRAME else None
        if data is None:
            return None
        parts += [length_raw, data]
    return b"".join(parts)


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
