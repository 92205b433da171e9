"""Reference runs: timing sweeps measured on a GPU machine and shipped with the app, so that a
laptop without a GPU can still show what a GPU does to linear algebra (clearly not this machine).

A reference run is a results CSV headed by ``# key: value`` lines saying where it was measured
(``device_name``, ``torch``, ``cuda``, ``date``: ``benchmarks/gpu_check.py`` writes them); the
CSV reader skips those lines. Its rows carry the source :func:`reference_source` names, so the
plots draw its speed-up and crossover from its own CPU and GPU rows, labelled as a reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from nla_explorer.engine.timing.results import results_from_csv, results_to_csv

#: A reference file's header is read from at most this many bytes.
_HEADER_BYTES = 4096


@dataclass(frozen=True)
class ReferenceRun:
    """A shipped sweep: its file and what its header says (``device_name``, ``date``, …)."""

    path: Path
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def device_name(self) -> str:
        return self.facts.get("device_name") or "a GPU"

    @property
    def summary(self) -> str:
        """``NVIDIA H200 · torch 2.13.0+cu130 · CUDA 13.0 · 2026-12-04``."""
        parts = [self.device_name]
        if self.facts.get("torch"):
            parts.append(f"torch {self.facts['torch']}")
        if self.facts.get("cuda") not in (None, "", "None"):
            parts.append(f"CUDA {self.facts['cuda']}")
        if self.facts.get("date"):
            parts.append(self.facts["date"])
        return " · ".join(parts)


def reference_source(facts: dict[str, str]) -> str:
    """The source label of a reference run's rows: ``NVIDIA H200 (reference run, not this
    machine)``."""
    return f"{facts.get('device_name') or 'a GPU'} (reference run, not this machine)"


def header_facts(text: str) -> dict[str, str]:
    """The ``# key: value`` lines at the top of ``text``."""
    facts: dict[str, str] = {}
    for line in text.lstrip("\ufeff").splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].partition(":")
        if sep and key.strip():
            facts[key.strip()] = value.strip()
    return facts


def reference_runs(folder: Path) -> list[ReferenceRun]:
    """The reference runs in ``folder`` (``*.csv`` with a ``device_name`` in the header), by
    name; a missing folder or an unreadable file is none."""
    runs = []
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else ():
        try:
            with path.open("rb") as f:
                head = f.read(_HEADER_BYTES).decode("utf-8", errors="replace")
        except OSError:
            continue
        facts = header_facts(head)
        if facts.get("device_name"):
            runs.append(ReferenceRun(path, facts))
    return runs


def as_reference(csv_text: str, facts: dict[str, str]) -> str:
    """A sweep's CSV made a reference run: headed by ``facts``, each row's source saying
    where it was measured."""
    source = reference_source(facts)
    results = [replace(r, source=source) for r in results_from_csv(csv_text)]
    return "".join(f"# {k}: {v}\n" for k, v in facts.items()) + results_to_csv(results)
