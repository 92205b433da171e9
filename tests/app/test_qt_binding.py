"""Guard against Qt binding releases that corrupt reference counts (PySide6 6.12.0 on Python 3.11)."""

import subprocess
import sys

SCRIPT = """
from PySide6.QtCore import QObject, Signal
class Source(QObject):
    plain = Signal()
    value = Signal(object)
source = Source()
def slot(*args):
    pass
source.plain.connect(slot)
source.value.connect(slot)
for _ in range(20000):
    source.plain.emit()
    source.value.emit(None)
print("ok")
"""


def test_many_signal_emits_do_not_corrupt_the_interpreter():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-500:]
