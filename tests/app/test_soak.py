"""Soak: the window through hundreds of mixed operations; memory and Qt objects must plateau.

The driver (tests/soak_driver.py) is shared with ``benchmarks/soak.py``, the long version
(thousands of operations, figures as JSON). Here a short run asserts bounds that a real leak
would break (one widget, scene item or capture kept per operation) with room for noise.
"""

import gc
import json
import weakref

from nla_explorer.document import UNDO_LIMIT
from nla_explorer.engine.blocks import edits as E
from tests.app.soak_driver import soak

OPS, WARMUP = 360, 200


def test_soak_plateaus(window, qtbot, tmp_path):
    report = soak(window, qtbot, tmp_path, OPS, checkpoints=12, warmup=WARMUP)
    figures = report.summary()
    print("\nsoak:", json.dumps(figures))
    for c in report.checkpoints:
        print(c)
    half = report.checkpoints[len(report.checkpoints) // 2:]
    # Qt objects: the checkpoints show the same view, so the counts are equal unless leaked
    # (one widget leaked per step added ~100 over this half). The step card keeps its tiles
    # for reuse: the first card with more inputs than any before adds one tile (~10 objects).
    assert max(c.qobjects for c in half) - min(c.qobjects for c in half) <= 30, figures
    assert abs(figures["qobject_growth_per_1000_ops"]) < 50, figures
    assert max(c.widgets for c in half) - min(c.widgets for c in half) <= 30, figures
    assert figures["scene_items_max"] < 200, figures  # the old graph's items are gone
    # Python objects: one capture kept per edit was ~30,000 per 1,000 operations
    assert figures["gc_objects_growth_per_1000_ops"] < 8000, figures
    # RSS (loosest: allocator noise): Qt's 10 MB pixmap cache still fills here, ~5-15 MB per 1,000
    assert figures["rss_growth_mb_per_1000_ops"] < 40, figures
    assert report.errors_seen > 0 and report.counts["timing"] > 0 and report.counts["slider"] > 0


def test_undo_history_is_bounded_and_what_falls_off_is_freed(window):
    """Regression: the undo stack kept every capture of the session (unbounded memory)."""
    window.load_example("quadratic")
    doc = window.document
    first = weakref.ref(doc.state)
    block = doc.expression.blocks[1].id
    for i in range(UNDO_LIMIT + 20):
        assert window.block_editor.apply(E.MoveBlocks(((block, (float(i), 0.0)),)))
    assert doc.undo_stack.count() == UNDO_LIMIT
    gc.collect()
    assert first() is None
    while doc.undo_stack.canUndo():  # what is kept still undoes
        doc.undo_stack.undo()
    assert doc.positions[block] == (19.0, 0.0)
