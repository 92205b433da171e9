"""The long fuzz: thousands of random programs, garbage texts and session mutations.

Runs the fuzz tests with ``NLA_FUZZ_LONG=1`` (5,000 random examples per hypothesis test instead of
the derandomized few hundred of ``make test``) and prints ONE JSON object to stdout::

    .venv/bin/python benchmarks/fuzz_long.py            # ~5-10 min on 2 cores
    .venv/bin/python benchmarks/fuzz_long.py --short    # the make-test sizes, with the counts

``programs_tried``: valid whitelisted programs checked against torch's gradients;
``garbage_tried``: garbage texts (refused with a message, or accepted and round-tripped);
``session_mutations``: mutated session files opened; ``failures``: failing tests (pytest's
report is on stderr); ``seconds``: wall time. Exit status 1 when any test failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ["tests/engine/test_fuzz_code.py", "tests/engine/test_fuzz_sessions.py",
         "tests/app/test_fuzz_sessions.py"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the make-test sizes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "tally.json"
        env = dict(os.environ, NLA_FUZZ_REPORT=str(report), QT_QPA_PLATFORM="offscreen")
        env["NLA_FUZZ_LONG"] = "0" if args.short else "1"
        start = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
             "timeout=3600", "--junit-xml", str(Path(folder) / "junit.xml"), *FILES],
            cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr)
        seconds = time.monotonic() - start
        tally = json.loads(report.read_text()) if report.is_file() else {}
        failures = _failures(Path(folder) / "junit.xml")
    print(json.dumps({
        "long": not args.short,
        "programs_tried": tally.get("programs", 0),
        "garbage_tried": tally.get("garbage", 0),
        "session_mutations": tally.get("session_mutations", 0),
        "detail": tally,
        "failures": failures,
        "seconds": round(seconds, 1),
    }, indent=1))
    return 1 if result.returncode else 0


def _failures(junit: Path) -> int:
    if not junit.is_file():
        return -1  # pytest did not get as far as writing its report
    import xml.etree.ElementTree as ET

    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    return int(suite.get("failures", 0)) + int(suite.get("errors", 0))


if __name__ == "__main__":
    sys.exit(main())
