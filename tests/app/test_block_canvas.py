"""The block canvas: gestures become edit requests; applied, they build the course expressions."""


import pytest
import torch
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication

from nla_explorer.engine import EXAMPLES, Expression, ExpressionError, explore_expression, to_code
from nla_explorer.engine.code.evaluation import evaluate
from nla_explorer.panels.block_canvas import (
    AddBlock, BlockCanvas, Connect, Disconnect, MoveBlocks, Paste, RemoveBlocks, SetNumber,
    SetOutput, SetParam, apply_edit,
)
from nla_explorer.engine.blocks.diagnosis import diagnose
from nla_explorer.panels.block_params import BlockParamsPanel, param_summary
from nla_explorer.panels.palette import block_mime_data
from tests.helpers import plain_quadratic
from tests.app.approved import assert_looks_approved, settled



class Owner:
    """What the integrator does: apply each requested edit, then refresh canvas and panel."""

    def __init__(self, canvas: BlockCanvas, panel: BlockParamsPanel) -> None:
        self.canvas, self.panel = canvas, panel
        self.expr, self.positions = Expression(), {}
        self.edits, self.refused = [], []
        canvas.edit_requested.connect(self.apply)
        panel.edit_requested.connect(self.apply)
        canvas.block_selected.connect(lambda i: panel.set_block(self.expr, i))

    def apply(self, edit) -> None:
        self.edits.append(edit)
        try:
            self.expr, self.positions = apply_edit(self.expr, self.positions, edit)
        except ExpressionError as exc:
            self.refused.append(exc)
            return
        shapes, errors = diagnose(self.expr)
        self.canvas.set_expression(self.expr, self.positions, shapes, errors)
        self.panel.set_block(self.expr, self.panel.block_id())

    def last_id(self) -> str:
        return self.expr.blocks[-1].id

    def edit_param(self, block_id: str, name: str, text: str) -> None:
        self.panel.set_block(self.expr, block_id)
        field = self.panel.field(name)
        field.setText(text)
        field.editingFinished.emit()


@pytest.fixture
def owner(qtbot):
    canvas, panel = BlockCanvas(), BlockParamsPanel()
    qtbot.addWidget(canvas)
    qtbot.addWidget(panel)
    canvas.resize(900, 600)
    canvas.show()
    qtbot.waitExposed(canvas)
    return Owner(canvas, panel)


def drop(canvas: BlockCanvas, key: str, view_pos: QPoint) -> None:
    """Real drag-enter and drop events carrying a palette entry, as the palette's drag does."""
    mime = block_mime_data(key)
    enter = QDragEnterEvent(view_pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(canvas.viewport(), enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(view_pos), Qt.CopyAction, mime, Qt.LeftButton,
                       Qt.NoModifier)
    QApplication.sendEvent(canvas.viewport(), event)


def mouse(canvas: BlockCanvas, kind, scene_pos: QPointF, buttons=Qt.LeftButton) -> None:
    pos = QPointF(canvas.mapFromScene(scene_pos))
    event = QMouseEvent(kind, pos, canvas.viewport().mapToGlobal(pos), Qt.LeftButton, buttons,
                        Qt.NoModifier)
    QApplication.sendEvent(canvas.viewport(), event)


def drag(canvas: BlockCanvas, start: QPointF, end: QPointF) -> None:
    mouse(canvas, QMouseEvent.MouseButtonPress, start)
    for k in range(1, 6):
        mouse(canvas, QMouseEvent.MouseMove, start + (end - start) * (k / 5))
    mouse(canvas, QMouseEvent.MouseButtonRelease, end, Qt.NoButton)


def build_quadratic(owner: Owner, qtbot) -> dict[str, str]:
    canvas = owner.canvas
    owner.apply(SetNumber("n", 5))  # named numbers have no canvas gesture yet
    drop(canvas, "manual_seed", QPoint(450, 40))
    assert owner.edits[-1] == AddBlock("manual_seed", (), owner.edits[-1].position)
    ids = {}
    for name, key, shape in (("A", "randn_parameter", "n, n"), ("b", "randn", "n,"),
                             ("x", "randn_parameter", "n,")):
        canvas.drop_entry(key, QPointF(len(ids) * 200, 0))
        ids[name] = owner.last_id()
        owner.edit_param(ids[name], "name", name)
        owner.edit_param(ids[name], "shape", shape)
    for name, key in (("half_x", "mul"), ("xA", "matmul"), ("xAx", "matmul"), ("bx", "matmul"),
                      ("f", "sub")):
        canvas.drop_entry(key, QPointF(0, 0))
        ids[name] = owner.last_id()
    owner.edit_param(ids["half_x"], "a", "0.5")
    owner.edit_param(ids["f"], "name", "f")
    canvas.auto_arrange()
    canvas.fit()
    # one real mouse drag from x's output port onto mul's input "b"
    drag(canvas, canvas.output_port_pos(ids["x"]), canvas.input_port_pos(ids["half_x"], "b")
         + QPointF(8, 5))
    assert owner.edits[-1] == Connect(ids["x"], ids["half_x"], "b")
    for source, target, port in (("half_x", "xA", "a"), ("A", "xA", "b"), ("xA", "xAx", "a"),
                                 ("x", "xAx", "b"), ("b", "bx", "a"), ("x", "bx", "b"),
                                 ("xAx", "f", "a"), ("bx", "f", "b")):
        canvas.request_connect(ids[source], ids[target], port)
    next(a for a in canvas.block_menu(ids["f"]).actions() if a.text() == "Set as output").trigger()
    assert owner.edits[-1] == SetOutput(ids["f"])
    return ids


def test_quadratic_built_on_the_canvas_equals_the_course_code(owner, qtbot):
    ids = build_quadratic(owner, qtbot)
    assert owner.refused == []
    assert owner.expr == EXAMPLES["quadratic"].expression()
    assert "f = 0.5 * x @ A @ x - b @ x" in to_code(owner.expr)
    assert owner.canvas.wire_count() == 9
    item = owner.canvas.block_item(ids["f"])
    assert item.look.is_output and item.look.shape == "shape scalar ()" and not item.look.error
    assert owner.canvas.block_item(ids["A"]).look.summary == "n×n · requires_grad"

    exploration = explore_expression(owner.expr)
    names = exploration.evaluation.names()
    built_A, built_x = torch.autograd.grad(exploration.output, [names["A"], names["x"]])
    A, b, x, plain_A, plain_x = plain_quadratic()
    assert torch.allclose(built_A, plain_A) and torch.allclose(built_x, plain_x)
    assert torch.allclose(built_x, (0.5 * (A + A.t()) @ x - b).detach())


def test_invalid_wiring_shows_the_error_on_the_matmul_block(owner):
    for shape in ("3, 4", "5, 5"):
        owner.canvas.drop_entry("randn", QPointF(0, 0))
        owner.edit_param(owner.last_id(), "shape", shape)
    left, right = owner.expr.ids
    owner.canvas.drop_entry("matmul", QPointF(0, 150))
    mm = owner.last_id()
    owner.canvas.request_connect(left, mm, "a")
    assert "input 'b' is unconnected" in owner.canvas.block_item(mm).look.error
    owner.canvas.request_connect(right, mm, "b")
    error = owner.canvas.block_item(mm).look.error
    assert "3×4" in error or "(3, 4)" in error or "3, 4" in error, error
    assert not owner.canvas.block_item(left).look.error
    assert owner.canvas.block_item(mm).error_item.isVisible()


def test_cycles_are_refused_and_leave_the_expression_alone(owner):
    owner.canvas.drop_entry("randn", QPointF(0, 0))
    owner.canvas.drop_entry("relu", QPointF(0, 150))
    owner.canvas.drop_entry("exp", QPointF(0, 300))
    a, r, e = owner.expr.ids
    owner.canvas.request_connect(a, r, "x")
    owner.canvas.request_connect(r, e, "x")
    before = owner.expr
    owner.canvas.request_connect(e, r, "x")
    assert owner.expr == before
    assert "cycle" in str(owner.refused[-1])


def test_delete_copy_paste_move_and_disconnect(owner, qtbot):
    canvas = owner.canvas
    canvas.drop_entry("randn_parameter", QPointF(0, 0))
    canvas.drop_entry("relu", QPointF(0, 160))  # the new randn is selected: it feeds relu
    a, r = owner.expr.ids
    assert owner.expr.block(r).inputs == (a,) and canvas.wire_count() == 1
    canvas.fit()
    # a block dragged by its body: MoveBlocks on release only
    x, y = owner.positions[r]
    start = canvas.block_item(r).scenePos() + QPointF(0, 25)
    count = len(owner.edits)
    drag(canvas, start, start + QPointF(120, 40))
    assert len(owner.edits) == count + 1 and isinstance(owner.edits[-1], MoveBlocks)
    assert owner.positions[r] == pytest.approx((x + 120, y + 40))
    # a wire end picked up off the input and dropped on empty canvas
    port = canvas.input_port_pos(r, "x")
    drag(canvas, port, port + QPointF(-150, 80))
    assert owner.edits[-1] == Disconnect(r, "x") and canvas.wire_count() == 0
    canvas.request_connect(a, r, "x")
    # copy both, paste: two new blocks with their wire
    canvas.select_blocks({a, r})
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key_C, Qt.ControlModifier)
    qtbot.keyClick(canvas, Qt.Key_V, Qt.ControlModifier)
    assert isinstance(owner.edits[-1], Paste) and len(owner.expr.blocks) == 4
    assert canvas.wire_count() == 2 and owner.expr.blocks[-1].name is None
    # Delete removes the selection
    canvas.select_blocks({a})
    qtbot.keyClick(canvas, Qt.Key_Delete)
    assert owner.edits[-1] == RemoveBlocks((a,))
    assert a not in owner.expr.ids and "unconnected" in canvas.block_item(r).look.error


def test_params_panel_reports_bad_text_and_reverts(owner):
    owner.canvas.drop_entry("randn", QPointF(0, 0))
    block_id = owner.last_id()
    owner.canvas.select_blocks({block_id})
    assert owner.panel.block_id() == block_id  # block_selected → panel
    count = len(owner.edits)
    owner.edit_param(block_id, "shape", "3, x")
    assert len(owner.edits) == count
    assert "3, 3" == owner.panel.field("shape").text()
    assert "must be a number" in owner.panel.error_text("shape")
    owner.panel.field("requires_grad").setChecked(True)
    assert owner.edits[-1] == SetParam(block_id, "requires_grad", True)
    assert param_summary(owner.expr.block(block_id)) == "3×3 · requires_grad"


def test_relu_layer_screenshot(owner, qtbot):
    expr = EXAMPLES["relu_layer"].expression()
    shapes, errors = diagnose(expr)
    assert not errors and shapes
    owner.expr = expr
    owner.canvas.set_expression(expr, {}, shapes, errors)  # no positions: auto-placed
    owner.canvas.auto_arrange()
    assert isinstance(owner.edits[-1], MoveBlocks)
    assert set(dict(owner.edits[-1].positions)) == set(expr.ids)
    owner.canvas.fit()
    out = owner.canvas.block_item(expr.output_block().id)
    assert out.look.is_output and out.look.shape == "shape scalar ()"
    assert evaluate(expr).output.shape == ()
    assert_looks_approved(settled(owner.canvas), "canvas_relu_layer")


def _footprints(canvas: BlockCanvas) -> dict:
    return {i: item.footprint() for i, item in canvas._items.items()}


def test_arranged_blocks_never_overlap_however_wide_their_parameters(owner, qtbot):
    """The polyfit net divides by m ** 0.5: wide blocks side by side, moved apart (arranged as
    drawn, with their shapes: port names stand in the room between the rows)."""
    owner.expr = EXAMPLES["polyfit_net"].expression()
    owner.canvas.set_expression(owner.expr, {}, *diagnose(owner.expr))
    owner.canvas.auto_arrange()
    owner.apply(owner.edits[-1])
    boxes = list(_footprints(owner.canvas).items())
    overlaps = [(a, b) for k, (a, ra) in enumerate(boxes) for b, rb in boxes[k + 1:]
                if ra.intersects(rb)]
    assert overlaps == []


def test_fit_shows_everything_or_ends_at_the_output_and_fits_again_when_resized(owner, qtbot):
    canvas = owner.canvas
    owner.expr = EXAMPLES["polyfit_net"].expression()
    canvas.set_expression(owner.expr, {})
    everything = canvas.scene().itemsBoundingRect()
    canvas.resize(2400, 2000)  # room for every block: all shown, magnified at most 1.5×
    canvas.fit()
    assert canvas.zoom() <= 1.5
    assert canvas.visible_rect().contains(everything)
    canvas.resize(600, 400)  # too small at a legible zoom: the output at the bottom, not centred
    qtbot.wait(10)
    assert canvas.zoom() == pytest.approx(canvas.legible_zoom())
    shown = canvas.visible_rect()
    output = canvas._items[owner.expr.output_block().id].sceneBoundingRect()
    assert shown.contains(output)
    assert shown.bottom() - output.bottom() < 0.25 * shown.height()  # the room is above it
    canvas.zoom_by(1.25)  # the user's zoom is kept when resized
    zoom = canvas.zoom()
    canvas.resize(700, 500)
    assert canvas.zoom() == pytest.approx(zoom)
