"""Devices for timing: which exist here, their names, peaks, free memory and synchronisation."""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass

import torch

from nla_explorer.engine.timing.ops import UnknownNameError

VALID_DEVICES = ("cpu", "cuda", "cuda:<index>", "mps")

#: Datasheet peaks (dense, no sparsity) in GFLOP/s per dtype, and memory bandwidth in GB/s.
#: float32 is the plain FP32 rate: PyTorch does not use TF32 for matmul unless asked to.
#: Patterns are tried in order, on the lower-cased device name.
_PEAKS: tuple[tuple[str, dict[str, float], float], ...] = (
    (r"h200", {"float32": 67e3, "float64": 67e3, "bfloat16": 989e3, "float16": 989e3}, 4800.0),
    (r"h100.*pcie", {"float32": 51e3, "float64": 51e3, "bfloat16": 756e3, "float16": 756e3},
     2000.0),
    (r"h100.*nvl", {"float32": 60e3, "float64": 60e3, "bfloat16": 835e3, "float16": 835e3},
     3900.0),
    (r"h100", {"float32": 67e3, "float64": 67e3, "bfloat16": 989e3, "float16": 989e3}, 3350.0),
    (r"a100.*80gb", {"float32": 19.5e3, "float64": 19.5e3, "bfloat16": 312e3, "float16": 312e3},
     2039.0),
    (r"a100", {"float32": 19.5e3, "float64": 19.5e3, "bfloat16": 312e3, "float16": 312e3},
     1555.0),
    (r"v100", {"float32": 15.7e3, "float64": 7.8e3, "float16": 125e3}, 900.0),
    (r"\bt4\b", {"float32": 8.1e3, "float16": 65e3}, 320.0),
    (r"\bl4\b", {"float32": 30.3e3, "bfloat16": 121e3, "float16": 121e3}, 300.0),
)


@dataclass(frozen=True)
class DeviceInfo:
    """A device timings can run on: ``name`` for torch, a human ``label``, known peaks."""

    name: str  # "cpu", "cuda", "cuda:1", "mps"
    kind: str  # "cpu", "cuda", "mps"
    label: str  # the CPU model or the GPU's name
    memory_bytes: int | None = None  # total memory, when known
    peaks: tuple[tuple[str, float], ...] = ()  # (dtype, GFLOP/s) from a datasheet
    peak_gbps: float | None = None  # memory bandwidth from a datasheet

    @property
    def is_gpu(self) -> bool:
        return self.kind != "cpu"

    def peak_gflops(self, dtype: str) -> float | None:
        """The datasheet peak for ``dtype`` in GFLOP/s, or None when unknown."""
        return dict(self.peaks).get(dtype)


def known_peaks(label: str) -> tuple[dict[str, float], float | None]:
    """Datasheet GFLOP/s per dtype and GB/s for a device called ``label`` (empty when unknown)."""
    lowered = label.lower()
    for pattern, peaks, gbps in _PEAKS:
        if re.search(pattern, lowered):
            return dict(peaks), gbps
    return {}, None


def cpu_label() -> str:
    """The CPU model (from /proc/cpuinfo where there is one) and torch's thread count."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    model = model or platform.processor() or platform.machine() or "CPU"
    return f"{model} ({torch.get_num_threads()} threads)"


def _cpu_total_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def available_devices() -> list[DeviceInfo]:
    """CPU always; every CUDA device and Apple MPS when present, with their names."""
    devices = [DeviceInfo("cpu", "cpu", cpu_label(), _cpu_total_memory())]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            label = torch.cuda.get_device_name(index)
            peaks, gbps = known_peaks(label)
            total = torch.cuda.get_device_properties(index).total_memory
            devices.append(DeviceInfo("cuda" if index == 0 else f"cuda:{index}", "cuda", label,
                                      total, tuple(sorted(peaks.items())), gbps))
    if torch.backends.mps.is_available():
        devices.append(DeviceInfo("mps", "mps", f"Apple GPU (MPS, {platform.machine()})",
                                  _cpu_total_memory()))
    return devices


#: The largest device index torch keeps as given (it stores the index in 8 bits).
MAX_DEVICE_INDEX = 127


def parse_device(name: str) -> torch.device:
    """``cpu``, ``cuda``, ``cuda:N`` or ``mps`` as a torch.device; UnknownNameError otherwise."""
    valid = ", ".join(VALID_DEVICES)
    here = ", ".join(d.name for d in available_devices())
    if not re.fullmatch(r"cpu|mps|cuda(:\d+)?", name.strip()):
        raise UnknownNameError(f"unknown device {name!r}; valid devices: {valid} "
                               f"(on this machine: {here})")
    index = name.strip().partition(":")[2]  # (torch wraps cuda:200 round to cuda:-56)
    if index and int(index) > MAX_DEVICE_INDEX:
        raise UnknownNameError(f"unknown device {name.strip()!r}: the index is over "
                               f"{MAX_DEVICE_INDEX}")
    return torch.device(name.strip())


def canonical_name(device: torch.device) -> str:
    """The name results carry: ``cuda`` for the first CUDA device, ``cuda:1`` for the next."""
    if device.type == "cuda":
        return "cuda" if not device.index else f"cuda:{device.index}"
    return device.type


def unavailable_reason(device: torch.device) -> str | None:
    """Why ``device`` cannot be used on this machine, or None when it can."""
    if device.type == "cuda":
        if not torch.cuda.is_available():
            return "no CUDA GPU found on this machine"
        count = torch.cuda.device_count()
        if (device.index or 0) >= count:
            return f"{canonical_name(device)} does not exist (this machine has {count} CUDA GPUs)"
    if device.type == "mps" and not torch.backends.mps.is_available():
        return "Apple MPS is not available on this machine"
    return None


def synchronize(device: torch.device) -> None:
    """Wait until every queued kernel on ``device`` has finished (a no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def empty_cache(device: torch.device) -> None:
    """Give cached blocks back to the device after an out-of-memory error."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        torch.mps.empty_cache()


def _cpu_available_memory() -> int | None:
    try:
        import psutil  # optional: the most portable answer where installed
    except ImportError:
        psutil = None
    if psutil is not None:
        return int(psutil.virtual_memory().available)
    try:
        with open("/proc/meminfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def available_memory(device: torch.device) -> int | None:
    """Bytes that can still be allocated on ``device`` (free + cached by torch), or None."""
    if device.type == "cuda":
        index = device.index or 0
        free, _total = torch.cuda.mem_get_info(index)
        cached = torch.cuda.memory_reserved(index) - torch.cuda.memory_allocated(index)
        return int(free + max(cached, 0))
    if device.type == "mps":
        recommended = getattr(torch.mps, "recommended_max_memory", None)
        driver = getattr(torch.mps, "driver_allocated_memory", None)
        if recommended is not None and driver is not None:
            return int(recommended() - driver())
    return _cpu_available_memory()
