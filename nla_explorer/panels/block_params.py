"""The parameter editor of the selected block: one field per parameter, edits as requests."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget,
)

from nla_explorer.engine.blocks import editing as B
from nla_explorer.engine.blocks.edits import (
    Rename, SetNumbers, SetParam, apply_edit, parse_numbers,
)
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.code.calc import calc_text
from nla_explorer.engine.expression import Block, Calc, Expression, Hole, Ref, Var
from nla_explorer.engine.ops import DTYPES

ERROR_STYLE = "color: #c0392b;"
UNCONNECTED_HINT = "unconnected: type a number or wire a tensor"


def value_text(value: object) -> str:
    """A parameter value as typed in a field: ``3, 3``, ``n, n``, ``float64``, ``0.5``; an
    unwired input reads ``unconnected``."""
    if isinstance(value, Hole):
        return "unconnected"
    if isinstance(value, (Var, Calc)):
        return calc_text(value)[0]
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return repr(_plain(value))
    if isinstance(value, tuple):
        return ", ".join(value_text(v) for v in value) + ("," if len(value) == 1 else "")
    if value is None:
        return ""
    return getattr(value, "name", None) or str(value)


def _plain(value: object) -> object:
    return [_plain(v) for v in value] if isinstance(value, tuple) else value


def param_summary(block: Block) -> str:
    """One line: ``5×5 · requires_grad``; parameters left at torch's default are not shown."""
    parts = []
    for p in B.template(block.op).params:
        value = B.param_value(block, p.name)
        if value is None or (p.default is not None and value == p.default):
            continue
        if p.kind == "shape" and isinstance(value, tuple):
            parts.append("×".join(value_text(v) for v in value) or "scalar")
        elif p.kind == "bool":
            parts.append(p.name if value else f"no {p.name}")
        elif p.kind == "matrix":
            parts.append("[…]")
        else:
            parts.append(f"{p.name}={value_text(value)}")
    return " · ".join(parts)


class BlockParamsPanel(QWidget):
    """Name and parameters of one block, and the named numbers (``n = 5``) of the expression;
    emits ``edit_requested(SetParam | Rename | SetNumbers)``. The numbers belong to the whole
    expression, not to a block: their field (``numbers_bar``) and its error line
    (``numbers_error``) are for the owner to place (the block editor: its toolbar, and a line
    below it shown while there is an error)."""

    edit_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("block_params")
        self._expr: Expression | None = None
        self._block_id: str | None = None
        self._fields: dict[str, QWidget] = {}
        self._errors: dict[str, QLabel] = {}
        self._outer = outer = QVBoxLayout(self)
        self._title = QLabel("No block selected")
        self._title.setWordWrap(True)
        outer.addWidget(self._title)
        self._form_host = QWidget()
        self._form = QFormLayout(self._form_host)
        outer.addWidget(self._form_host)
        outer.addStretch(1)
        self.numbers_field = QLineEdit()
        self.numbers_field.setObjectName("block_numbers")
        self.numbers_field.setPlaceholderText("n = 5, d = 3")
        self.numbers_field.setToolTip("Named numbers the shapes may use (n = 5 makes n × n "
                                      "sizes possible); Enter applies")
        self.numbers_field.setProperty("shown", "")
        self.numbers_field.editingFinished.connect(self._commit_numbers)
        self.numbers_error = QLabel("", self)  # (a child until placed: never a window of its own)
        self.numbers_error.setStyleSheet(ERROR_STYLE)
        self.numbers_error.setWordWrap(True)
        self.numbers_error.setVisible(False)
        self.numbers_bar = QWidget()  # the editor's toolbar shows it, whatever is selected
        self.numbers_bar.setObjectName("block_numbers_bar")
        bar = QHBoxLayout(self.numbers_bar)
        bar.setContentsMargins(8, 0, 4, 0)
        numbers_label = QLabel("Numbers")
        numbers_label.setBuddy(self.numbers_field)
        bar.addWidget(numbers_label)
        bar.addWidget(self.numbers_field, 1)

    # -- public ------------------------------------------------------------------------------
    def block_id(self) -> str | None:
        return self._block_id

    def field(self, name: str) -> QWidget:
        """The editor of parameter ``name`` ("name" is the variable name field)."""
        return self._fields[name]

    def error_text(self, name: str) -> str:
        return self._errors[name].text()

    def set_block(self, expr: Expression, block_id: str | None) -> None:
        """Show ``block_id``'s fields (None: nothing selected); call again after each edit."""
        self._expr, self._block_id = expr, block_id
        self._show_numbers(expr)
        old = self._form_host  # replaced, not emptied: a field may be emitting the edit now
        self._form_host = QWidget()
        self._form = QFormLayout(self._form_host)
        self._outer.replaceWidget(old, self._form_host)
        old.hide()
        old.deleteLater()
        self._fields, self._errors = {}, {}
        if block_id is None or block_id not in expr.ids:
            self._block_id = None
            self._title.setText("No block selected")
            return
        block = expr.block(block_id)
        try:
            t = B.template(block.op)
        except ExpressionError:
            self._title.setText(f"{block.label}: not editable")
            return
        self._title.setText(f"<b>{block.name or block.id}</b> — {block.op}: {t.summary}")
        if t.output:
            self._add_line("name", block.name or "", "variable name")
        for port in t.ports:
            if port.number:
                value = B.port_value(block, port.name)
                text = "" if isinstance(value, (Ref, Hole)) or value is None else \
                    value_text(value)
                hint = UNCONNECTED_HINT if isinstance(value, Hole) else "a number, or wire a tensor"
                if isinstance(value, Ref):
                    source = expr.block(value.block) if value.block in expr.ids else None
                    hint = f"wired from {source.name or source.id}" if source else "wired"
                self._add_line(port.name, text, hint)
        for p in t.params:
            value = B.param_value(block, p.name)
            if p.kind == "bool":
                self._add_check(p.name, bool(value))
            elif p.kind == "dtype":
                self._add_combo(p.name, value_text(value))
            else:
                self._add_line(p.name, value_text(value), p.kind)

    # -- fields --------------------------------------------------------------------------------
    def _row(self, name: str, editor: QWidget) -> None:
        self._fields[name] = editor
        error = QLabel("")
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        self._errors[name] = error
        host = QWidget()
        column = QVBoxLayout(host)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(editor)
        column.addWidget(error)
        self._form.addRow(name, host)

    def _add_line(self, name: str, text: str, hint: str) -> None:
        edit = QLineEdit(text)
        edit.setPlaceholderText(hint)
        edit.setToolTip(hint)
        edit.setProperty("shown", text)
        edit.editingFinished.connect(lambda: self._commit(name, edit.text(), edit))
        self._row(name, edit)

    def _add_check(self, name: str, value: bool) -> None:
        box = QCheckBox()
        box.setChecked(value)
        box.toggled.connect(lambda on: self._commit(name, on, box))
        self._row(name, box)

    def _add_combo(self, name: str, value: str) -> None:
        combo = QComboBox()
        combo.addItem("(default)", "")
        for dtype in dict.fromkeys(DTYPES):
            combo.addItem(dtype, dtype)
        combo.setCurrentIndex(max(0, combo.findData(value)))
        combo.setProperty("shown", combo.currentIndex())
        combo.activated.connect(lambda i: self._commit(name, combo.itemData(i) or None, combo))
        self._row(name, combo)

    def _commit(self, name: str, value: object, editor: QWidget) -> None:
        """Check the edit against the engine; emit it, or show why not and revert the field."""
        if self._expr is None or self._block_id is None:
            return
        if isinstance(editor, QLineEdit) and value == editor.property("shown"):
            return  # editingFinished fires on focus loss too: nothing changed
        edit = Rename(self._block_id, value.strip()) if name == "name" else \
            SetParam(self._block_id, name, value)
        try:
            apply_edit(self._expr, {}, edit)
        except ExpressionError as exc:
            self._errors[name].setText(exc.reason)
            self._revert(editor)
            return
        self._errors[name].setText("")
        if isinstance(editor, QLineEdit):
            editor.setProperty("shown", editor.text())
        elif isinstance(editor, QComboBox):
            editor.setProperty("shown", editor.currentIndex())
        self.edit_requested.emit(edit)

    def _show_numbers(self, expr: Expression) -> None:
        text = ", ".join(f"{name} = {value}" for name, value in expr.numbers)
        if self.numbers_field.property("shown") != text or not self.numbers_field.hasFocus():
            self.numbers_field.setText(text)
            self.numbers_field.setProperty("shown", text)
            self._numbers_problem("")

    def _commit_numbers(self) -> None:
        """Check the typed numbers against the engine; emit them, or say why not and revert."""
        text = self.numbers_field.text()
        if self._expr is None or text == self.numbers_field.property("shown"):
            return
        try:
            edit = SetNumbers(parse_numbers(text))
            apply_edit(self._expr, {}, edit)
        except ExpressionError as exc:
            self._numbers_problem(exc.reason)
            self.numbers_field.setText(self.numbers_field.property("shown"))
            return
        self._numbers_problem("")
        self.numbers_field.setProperty("shown", text)
        self.edit_requested.emit(edit)

    def _numbers_problem(self, reason: str) -> None:
        self.numbers_error.setText(f"Numbers: {reason}" if reason else "")
        self.numbers_error.setVisible(bool(reason))

    def _revert(self, editor: QWidget) -> None:
        if isinstance(editor, QLineEdit):
            editor.setText(editor.property("shown"))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.property("shown"))
        elif isinstance(editor, QCheckBox):
            editor.blockSignals(True)
            editor.setChecked(not editor.isChecked())
            editor.blockSignals(False)
