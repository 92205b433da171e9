"""Start the application: ``run_app`` for the ``nla-explorer`` command, ``explore`` for scripts."""

from __future__ import annotations

import gc
import sys
from dataclasses import replace

from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from nla_explorer.cli.args import no_display_message
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.autograd.trace import trace_backward
from nla_explorer.engine.recording import capture_tensor, model_names
from nla_explorer.first_view import gradients_after_view, may_draw_first, trace_after_first_view
from nla_explorer.crash_dialog import CrashHandler
from nla_explorer.main_window import MainWindow
from nla_explorer.resources import icon_path

DEFAULT_EXAMPLE = "quadratic"
_open_windows: list[MainWindow] = []  # windows opened by explore() inside a running app


def raise_stack_limit(target: int = 512 << 20) -> None:
    """Let the main thread's stack grow: torch frees a long autograd chain (an RNN unrolled
    thousands of steps) recursively in C++, which overflows the default 8 MB stack."""
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    limit = target if hard == resource.RLIM_INFINITY else min(target, hard)
    if soft != resource.RLIM_INFINITY and soft < limit:
        resource.setrlimit(resource.RLIMIT_STACK, (limit, hard))


def application() -> QApplication:
    """The running QApplication, or a new one named for the settings."""
    app = QApplication.instance()
    if app is None:
        raise_stack_limit()
        app = QApplication(sys.argv[:1])
        app.setApplicationName("NLA Explorer")
        app.setOrganizationName("NLA Explorer")
        app.setApplicationDisplayName("NLA Explorer")
        app.setDesktopFileName("nla-explorer")  # matches the .desktop entry (Wayland app id)
        app.setWindowIcon(QIcon(str(icon_path())))
    return app


def run_app(file: str | None = None, example: str | None = None) -> int:
    """Open the window on ``file`` or ``example`` (default: the quadratic example) and run Qt;
    without a display, one line on stderr and status 2 (Qt would abort the process)."""
    message = None if QApplication.instance() is not None else no_display_message()
    if message:
        print(message, file=sys.stderr)
        return 2
    app = application()
    window = MainWindow()
    CrashHandler(window, window.sessions.save_as).install()
    window.show()
    QTimer.singleShot(0, _freeze_after_start)  # on every path into the event loop
    if not file and not example and window.sessions.offer_recovery():
        return _exec(app)
    opened = open_start(window, file, example)
    if not opened and not file:
        print(f"nla-explorer: error: {window.document.error}", file=sys.stderr)
        return 2
    window.show()
    window.help.offer_first_tour()
    return _exec(app)


def open_start(window: MainWindow, file: str | None, example: str | None) -> bool:
    """What the window opens on: ``file``, or ``example`` (default: the quadratic). It is the
    start, not an edit: Edit ▸ Undo has nothing to offer yet."""
    opened = window.open_path(file) if file else window.load_example(example or DEFAULT_EXAMPLE)
    window.document.undo_stack.clear()
    return opened


def _freeze_after_start() -> None:
    """Freeze what start-up made (torch, Qt, the window: objects that live as long as the app)
    into the permanent generation, so later full collections do not walk them again."""
    gc.freeze()


def _exec(app: QApplication) -> int:
    """Run the event loop; then let workers reach their next checkpoint (they were cancelled when
    the window closed) so none is cut off inside torch's C++ code at exit."""
    status = app.exec()
    QThreadPool.globalInstance().waitForDone(10_000)
    return status


def explore(tensor, names=None, title: str = "", model=None, recorder=None) -> MainWindow:
    """Open a window on ``tensor``'s autograd graph.

    ``model``: an ``nn.Module`` or a dict name → module (parameter names, module paths);
    ``recorder``: the ``recording()`` that ran the forward (default: the latest that made it).
    Inside a running Qt application (a notebook with ``%gui qt``, another app) it returns the window
    at once; otherwise it runs the event loop until the window is closed.
    """
    models = model_names(model, names)
    running = QApplication.instance() is not None
    app = application()
    window = MainWindow()
    try:  # a big graph is drawn first, then traced (its gradients arrive a moment later)
        options = window.graph_pane.options
        captured = capture_tensor(tensor, names=names, models=models, recorder=recorder,
                                  trace=False, saved=not may_draw_first(options))
        if not gradients_after_view(len(captured.graph), options):
            graph = captured.complete() if captured.complete is not None else captured.graph
            captured = replace(captured, graph=graph, trace=trace_backward(tensor),
                               complete=None)
    except EngineError as exc:
        window.deleteLater()
        raise ValueError(str(exc)) from None
    graph = captured.graph
    window.document.set_graph(graph, captured.trace, title or (graph.output.name or "tensor"),
                              captured.notes)
    window.code_dock.hide()
    window.show()
    if captured.trace is None and not trace_after_first_view(window, tensor,
                                                             captured.complete):
        return window  # closed before its gradients: nothing more to show
    if running:
        _open_windows.append(window)
        window.destroyed.connect(lambda *_: _open_windows.remove(window)
                                 if window in _open_windows else None)
        return window
    app.exec()
    return window
