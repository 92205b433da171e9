"""An uncaught exception shows a non-modal dialog with the traceback and a way to save the work."""

import sys

from nla_explorer.crash_dialog import CrashHandler


def test_uncaught_exception_shows_details_and_offers_to_save(window, capsys):
    saved = []
    handler = CrashHandler(window, lambda: saved.append(True))
    handler.install()
    try:
        assert sys.excepthook is handler
        try:
            raise ZeroDivisionError("a slot divided by zero")
        except ZeroDivisionError:
            sys.excepthook(*sys.exc_info())
    finally:
        handler.uninstall()
    assert sys.excepthook is not handler
    box = handler.dialog
    assert box.isVisible() and not box.isModal()
    assert "ZeroDivisionError: a slot divided by zero" in box.detailedText()
    save = next(b for b in box.buttons() if b.text().startswith("Save session"))
    save.click()
    assert saved == [True]
    assert "a slot divided by zero" in capsys.readouterr().err
    assert window.isVisible()  # the window lives on
