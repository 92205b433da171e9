"""Screenshots compared with approved images (pyqtgraph's ``assertImageMatch`` is the model).

``assert_looks_approved(image, name)`` saves the render to ``tests/app/screenshots/NAME.png`` (to
look at), then compares it with ``tests/app/approved/NAME.png``: same size, and at most
``max_changed`` of the pixels differ by more than ``threshold`` in a channel. A failure writes
``NAME.diff.png`` (changed pixels in red) beside the screenshot. After a deliberate change, look at
the new screenshots and re-approve them with ``NLA_APPROVE=1 make test-app`` (or one test file).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

HERE = Path(__file__).resolve().parent
APPROVED = HERE / "approved"
SHOTS = HERE / "screenshots"


def pixels(image: QImage) -> np.ndarray:
    """An H×W×4 uint8 copy of ``image`` (RGBA)."""
    image = image.convertToFormat(QImage.Format_RGBA8888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return data.reshape(height, image.bytesPerLine())[:, :width * 4].reshape(
        height, width, 4).copy()


def settled(widget: QWidget, timeout: float = 3.0) -> QImage:
    """``widget`` grabbed once two grabs 100 ms apart are the same (layouts still settling, e.g.
    the inspector's heatmap fitting its width, must not make a screenshot differ)."""
    end = time.monotonic() + timeout
    previous = None
    while True:
        for _ in range(5):
            QApplication.processEvents()
        image = widget.grab().toImage()
        if image == previous or time.monotonic() > end:
            return image
        previous = image
        time.sleep(0.1)


def _image(picture: QImage | QPixmap) -> QImage:
    return picture.toImage() if isinstance(picture, QPixmap) else picture


def changed_fraction(actual: np.ndarray, approved: np.ndarray, threshold: int) -> tuple[float,
                                                                                         np.ndarray]:
    diff = np.abs(actual.astype(np.int16) - approved.astype(np.int16)).max(axis=2)
    changed = diff > threshold
    return float(changed.mean()), changed


def assert_looks_approved(picture: QImage | QPixmap, name: str, *, max_changed: float = 0.002,
                          threshold: int = 40) -> None:
    image = _image(picture)
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert image.save(str(SHOTS / f"{name}.png")), f"cannot write the screenshot {name}.png"
    approved_path = APPROVED / f"{name}.png"
    if os.environ.get("NLA_APPROVE", "") not in ("", "0"):
        APPROVED.mkdir(parents=True, exist_ok=True)
        assert image.save(str(approved_path)), f"cannot approve {name}.png"
        return
    assert approved_path.is_file(), (
        f"no approved image {approved_path}: look at {SHOTS / (name + '.png')}, then approve it "
        "with NLA_APPROVE=1")
    approved = QImage(str(approved_path))
    assert (image.width(), image.height()) == (approved.width(), approved.height()), (
        f"{name}: {image.width()}×{image.height()}, approved "
        f"{approved.width()}×{approved.height()}")
    fraction, changed = changed_fraction(pixels(image), pixels(approved), threshold)
    if fraction > max_changed:
        marked = pixels(image)
        marked[changed] = (255, 0, 0, 255)
        diff = QImage(marked.data, marked.shape[1], marked.shape[0], marked.shape[1] * 4,
                      QImage.Format_RGBA8888)
        diff.save(str(SHOTS / f"{name}.diff.png"))
    assert fraction <= max_changed, (
        f"{name}: {fraction:.2%} of the pixels changed (at most {max_changed:.2%}); see "
        f"screenshots/{name}.diff.png, and re-approve with NLA_APPROVE=1 if the change is wanted")
