"""The approved-image comparison itself: it passes the same picture and fails a changed one."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter

import tests.app.approved as approved


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setattr(approved, "APPROVED", tmp_path / "approved")
    monkeypatch.setattr(approved, "SHOTS", tmp_path / "shots")
    monkeypatch.delenv("NLA_APPROVE", raising=False)  # also when the suite runs to re-approve
    return tmp_path


def picture(marks: int = 0, width: int = 200) -> QImage:
    image = QImage(width, 100, QImage.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.fillRect(10, 10, 50, 20, Qt.blue)
    for k in range(marks):  # a few pixels of another colour
        painter.fillRect(100 + 3 * k, 50, 2, 2, Qt.red)
    painter.end()
    return image


def test_same_passes_changed_fails_and_re_approval_updates(folders, monkeypatch):
    with pytest.raises(AssertionError, match="no approved image"):
        approved.assert_looks_approved(picture(), "probe")
    monkeypatch.setenv("NLA_APPROVE", "1")
    approved.assert_looks_approved(picture(), "probe")
    monkeypatch.delenv("NLA_APPROVE")
    approved.assert_looks_approved(picture(), "probe")
    approved.assert_looks_approved(picture(marks=2), "probe")  # 8 pixels: within 0.2 %
    with pytest.raises(AssertionError, match="of the pixels changed"):
        approved.assert_looks_approved(picture(marks=20), "probe")
    assert (folders / "shots" / "probe.diff.png").is_file()
    with pytest.raises(AssertionError, match="approved 200×100"):
        approved.assert_looks_approved(picture(width=210), "probe")
