"""The course quadratic built from blocks by hand, counting gestures, and what makes it short:
placement in free space, the panel following the new block, wiring from the selection."""

import pytest
import torch
from PySide6.QtCore import Qt

from nla_explorer.document import Document
from nla_explorer.engine import EXAMPLES, to_code
from nla_explorer.engine.pipeline import explore_expression
from tests.app.build_gestures import BuildPanels, Hands
from tests.helpers import plain_quadratic

MAX_GESTURES = 20


@pytest.fixture
def build(qtbot):
    """The palette and the block editor at the Build workspace's size in a 1280×720 window,
    on the quadratic the window opens with."""
    document = Document()
    assert document.load_example("quadratic")
    panels = BuildPanels(document)
    qtbot.addWidget(panels)
    panels.show()
    qtbot.waitExposed(panels)
    return panels


def build_quadratic(hands: Hands) -> dict[str, str]:
    """f = 0.5 * x @ A @ x - b @ x from an empty canvas, as a lecturer would."""
    ids = {}
    hands.button(hands.editor.new_action)
    hands.type("numbers", "n = 5")
    hands.request("manual_seed")
    for name, key, shape in (("A", "randn_parameter", None), ("b", "randn", "n,"),
                             ("x", "randn_parameter", "n,")):
        hands.request(key)  # the new block is selected: the panel shows its fields
        ids[name] = hands.new_block()
        hands.type("name", name)
        if shape is not None:  # (A starts as n × n: the sizes follow the named number)
            hands.type("shape", shape)
    hands.request("mul")  # x is selected: it feeds mul's second input
    ids["half_x"] = hands.new_block()
    hands.type("a", "0.5")
    hands.drop("matmul", onto=ids["A"])  # fed by the selection (0.5 * x), then A
    ids["xA"] = hands.new_block()
    hands.drop("matmul", onto=ids["x"])
    ids["xAx"] = hands.new_block()
    hands.click(ids["b"])
    hands.drop("matmul", onto=ids["x"])
    ids["bx"] = hands.new_block()
    hands.click(ids["xAx"])
    hands.drop("sub", onto=ids["bx"])
    ids["f"] = hands.new_block()
    hands.type("name", "f")
    return ids


def test_the_quadratic_takes_at_most_20_gestures_and_equals_the_course_code(build, qtbot):
    hands = Hands(qtbot, build.palette, build.editor)
    ids = build_quadratic(hands)
    assert hands.count <= MAX_GESTURES, "\n".join(hands.log)
    doc = build.document
    built = doc.expression
    course = EXAMPLES["quadratic"].expression()
    # blocks have no backward() statement: the course code without its closing f.backward()
    assert to_code(built) == to_code(course.with_output(None))
    assert "f = 0.5 * x @ A @ x - b @ x\n" in doc.code and doc.code == to_code(built)
    assert built.output_block().name == "f" and doc.problem == ""
    assert doc.graph.output.name == "f"  # the graph view shows the blocks' graph
    assert build.editor.canvas.wire_count() == 9
    boxes = [item.footprint() for item in build.editor.canvas.block_items()]
    assert not any(a.intersects(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])

    exploration = explore_expression(built)  # the value and gradients: plain torch's
    names = exploration.evaluation.names()
    A, b, x, plain_grad_A, plain_grad_x = plain_quadratic()
    assert torch.equal(exploration.output.detach(), (0.5 * x @ A @ x - b @ x).detach())
    grad_A, grad_x = torch.autograd.grad(exploration.output, [names["A"], names["x"]])
    assert torch.allclose(grad_A, plain_grad_A) and torch.allclose(grad_x, plain_grad_x)
    assert set(ids.values()) == set(built.ids) - {built.blocks[0].id}  # and the seed


def test_each_gesture_is_one_undo_step(build, qtbot):
    hands = Hands(qtbot, build.palette, build.editor)
    stack = build.document.undo_stack
    before = stack.count()
    build_quadratic(hands)
    clicks = sum(entry.startswith("click b") for entry in hands.log)  # selecting is no edit
    assert stack.count() - before == hands.count - clicks
    for _ in range(hands.count - clicks):
        stack.undo()
    assert build.document.expression == EXAMPLES["quadratic"].expression()


def test_a_requested_block_lands_in_free_space_in_view_and_is_selected(build, qtbot):
    hands = Hands(qtbot, build.palette, build.editor)
    hands.button(build.editor.new_action)
    canvas, params = build.editor.canvas, build.editor.params
    centre = canvas.visible_centre()
    for k, key in enumerate(["randn", "ones", "zeros", "randn", "eye", "randn"]):
        hands.request(key)
        new = hands.new_block()
        assert canvas.selected_ids() == [new] and params.block_id() == new
        assert not params.field("name").visibleRegion().isEmpty()
        box = canvas.block_item(new).footprint()
        assert canvas.visible_rect().contains(box)
        if k == 0:  # the first one in the middle of what is visible
            assert abs(box.center().x() - centre.x()) < 30
            assert abs(box.center().y() - centre.y()) < 30
    boxes = [item.footprint() for item in canvas.block_items()]
    assert len(boxes) == 6
    assert not any(a.intersects(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])


def test_a_dropped_block_lands_beside_what_it_was_dropped_near(build, qtbot):
    hands = Hands(qtbot, build.palette, build.editor)
    canvas = build.editor.canvas
    hands.button(build.editor.new_action)
    middle = canvas.viewport().rect().center()
    hands.drop("randn", at=middle)
    first = hands.new_block()
    hands.key(Qt.Key_Escape)  # nothing selected: the next block is fed by nothing
    hands.drop("randn", at=middle)  # the same spot: next to the first, not on it
    second = hands.new_block()
    a, b = (canvas.block_item(i).footprint() for i in (first, second))
    assert not a.intersects(b) and canvas.visible_rect().contains(b)
    assert build.document.expression.block(second).inputs == ()
