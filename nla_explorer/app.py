"""The main window: code on the left, the captured autograd graph's nodes and their values in the middle.

This is the first window; later issues put the graph view, inspector and panels into its docks.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QPlainTextEdit,
    QPushButton, QSplitter, QTextBrowser, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from nla_explorer import __version__
from nla_explorer.engine.capture import capture
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.examples import EXAMPLES, get_example, manual_gradients
from nla_explorer.engine.graph import AutogradGraph
from nla_explorer.engine.pipeline import Exploration, explore_code
from nla_explorer.engine.tensors import snapshot
from nla_explorer.engine.trace import BackwardTrace, trace_backward
from nla_explorer.value_text import matrix_html, short_text

DEFAULT_EXAMPLE = "quadratic"
_COLUMNS = ("step", "node", "op", "name", "shape", "value", "gradient")


class MainWindow(QMainWindow):
    """Paste course code, press Ctrl+Enter, see every autograd node with its value and gradient."""

    def __init__(self) -> None:
        super().__init__()
        self.exploration: Exploration | None = None
        self.graph: AutogradGraph | None = None
        self.trace: BackwardTrace | None = None
        self.example_name: str | None = None
        self.resize(1280, 800)
        self._build_code_dock()
        self._build_centre()
        self._build_menus()
        self.statusBar().showMessage("Ready")
        self._set_title(None)

    # -- construction -----------------------------------------------------------------------------
    def _build_code_dock(self) -> None:
        dock = QDockWidget("Code", self)
        dock.setObjectName("code_dock")
        body = QWidget()
        layout = QVBoxLayout(body)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("code_editor")
        self.editor.setFont(QFont("monospace", 11))
        self.editor.setTabStopDistance(32)
        self.editor.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.editor.setPlaceholderText("Paste the PyTorch code of a notebook cell, then Ctrl+Enter")
        self.run_button = QPushButton("Capture  (Ctrl+Enter)")
        self.run_button.setToolTip("Run the code through the whitelist and capture its graph")
        self.run_button.clicked.connect(self.capture_code)
        self.error_label = QLabel()
        self.error_label.setObjectName("error_label")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.error_label.hide()
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.run_button)
        dock.setWidget(body)
        self.addDockWidget(Qt.LeftDockWidgetArea, dock)
        self.resizeDocks([dock], [440], Qt.Horizontal)
        self.code_dock = dock

    def _build_centre(self) -> None:
        self.table = QTreeWidget()
        self.table.setObjectName("node_table")
        self.table.setHeaderLabels(list(_COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setUniformRowHeights(True)
        self.table.currentItemChanged.connect(self._show_selected)
        self.details = QTextBrowser()
        self.details.setObjectName("node_details")
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setSizes([480, 320])
        self.setCentralWidget(splitter)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_code = QAction("&Open code…", self, shortcut=QKeySequence.Open)
        open_code.triggered.connect(self._open_code_dialog)
        file_menu.addAction(open_code)
        examples = file_menu.addMenu("&Examples")
        for example in EXAMPLES.values():
            action = QAction(f"{example.name} — {example.title}", self)
            action.triggered.connect(lambda _=False, n=example.name: self.load_example(n))
            examples.addAction(action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        run = QAction("Capture", self)
        run.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        run.triggered.connect(self.capture_code)
        self.addAction(run)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.code_dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About NLA Explorer", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    # -- actions ---------------------------------------------------------------------------------
    def load_example(self, name: str) -> None:
        example = get_example(name)
        self.editor.setPlainText(example.code)
        self.example_name = name
        self.capture_code()

    def load_code_file(self, path: str) -> None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self._show_error(f"cannot read {path}: {exc}")
            return
        self.example_name = None
        self.editor.setPlainText(text)
        self.capture_code()

    def capture_code(self) -> bool:
        """Capture the editor's code; on error keep the last good graph and show the message."""
        try:
            exploration = explore_code(self.editor.toPlainText())
        except EngineError as exc:
            self._show_error(str(exc))
            return False
        if self.example_name and self.editor.toPlainText() != get_example(
                self.example_name).code:
            self.example_name = None
        self.error_label.hide()
        self.show_exploration(exploration)
        return True

    def show_exploration(self, exploration: Exploration) -> None:
        self.exploration = exploration
        self.show_graph(exploration.graph, exploration.trace, exploration.output_name)

    def show_graph(self, graph: AutogradGraph, trace: BackwardTrace,
                   output_name: str | None = None) -> None:
        """Fill the node table from a captured graph and its backward trace."""
        self.graph, self.trace = graph, trace
        self.table.clear()
        order = {s.node_id: s.index for s in trace.steps}
        items = []
        for node in sorted(graph.nodes, key=lambda n: order.get(n.id, len(order))):
            grad = trace.node_grad(node.id)
            row = [str(order.get(node.id, "")), node.id, node.op, node.name or "",
                   "×".join(map(str, node.shape)) if node.shape else "scalar",
                   short_text(node.value), short_text(grad)]
            item = QTreeWidgetItem(row)
            item.setData(0, Qt.UserRole, node.id)
            item.setToolTip(2, f"{node.label} — torch: {node.op}")
            items.append(item)
        self.table.addTopLevelItems(items)
        for column in range(len(_COLUMNS)):
            self.table.resizeColumnToContents(column)
        if items:
            self.table.setCurrentItem(items[0])
        out = graph.output
        self.statusBar().showMessage(
            f"{len(graph)} nodes · {len(graph.edges)} edges · {len(trace)} backward steps · "
            f"output {output_name or out.id} = {short_text(out.value)}")
        self._set_title(self.example_name)

    def _show_selected(self, item: QTreeWidgetItem | None) -> None:
        if item is None or self.graph is None or self.trace is None:
            self.details.clear()
            return
        node = self.graph.node(item.data(0, Qt.UserRole))
        grad = self.trace.node_grad(node.id)
        parts = [f"<h3>{node.name or node.label} <small>({node.op})</small></h3>",
                 f"<p>kind: {node.kind} · shape: {node.shape} · dtype: {node.dtype}</p>",
                 "<h4>forward value</h4>", matrix_html(node.value),
                 "<h4>gradient</h4>", matrix_html(grad)]
        for saved in node.saved:
            if saved.tensor is not None and saved.role == "constant":
                parts += [f"<h4>saved constant {saved.label or saved.name}</h4>",
                          matrix_html(saved.tensor)]
        parts += self._manual_html(node.name) if node.kind == "leaf" else []
        self.details.setHtml("".join(parts))

    def _manual_html(self, leaf: str | None) -> list[str]:
        if not self.example_name or self.exploration is None:
            return []
        example = get_example(self.example_name)
        parts = []
        for manual, value in manual_gradients(example, self.exploration.evaluation):
            if manual.leaf == leaf:
                parts += [f"<h4>{manual.label}</h4>", matrix_html(snapshot(value))]
        return parts

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self.statusBar().showMessage("Error — the last good graph is kept")

    def _open_code_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open course code", "",
                                              "Python code (*.py *.txt);;All files (*)")
        if path:
            self.load_code_file(path)

    def _about(self) -> None:
        QMessageBox.about(self, "About NLA Explorer",
                          f"<b>NLA Explorer {__version__}</b><p>See automatic differentiation: "
                          "the autograd graph, forward values, gradients and the backward pass.</p>")

    def _set_title(self, name: str | None) -> None:
        self.setWindowTitle(f"{name} — NLA Explorer" if name else "NLA Explorer")


def _application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("NLA Explorer")
    app.setOrganizationName("NLA Explorer")
    return app


def run_app(file: str | None = None, example: str | None = None) -> int:
    """Open the window (on ``example``, a code file, or the quadratic example) and run Qt."""
    app = _application()
    window = MainWindow()
    if file:
        window.load_code_file(file)
    else:
        try:
            window.load_example(example or DEFAULT_EXAMPLE)
        except EngineError as exc:
            print(f"nla-explorer: error: {exc}", file=sys.stderr)
            return 2
    window.show()
    return app.exec()


def explore(tensor, names=None) -> int:
    """Show an existing tensor's autograd graph (from a script or notebook)."""
    graph = capture(tensor, names=names)
    trace = trace_backward(tensor)
    app = _application()
    window = MainWindow()
    window.show_graph(graph, trace)
    window.show()
    return app.exec()
