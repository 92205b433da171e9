"""Text and HTML for tensor values: compact cells for tables, small matrices for the details pane."""

from __future__ import annotations

import html

from nla_explorer.engine.tensors import TensorData

#: Significant digits of a scalar in compact text (Preferences ▸ value precision, carried by
#: the views' ViewStyle); vector elements get one fewer.
DEFAULT_PRECISION = 4


def short_text(data: TensorData | None, width: int = 4, digits: int = DEFAULT_PRECISION) -> str:
    """``9.467`` for a scalar, ``[0.26, 1.6, …]`` for a tensor, a norm for a summary; ``digits``
    significant digits (graph badges, edge labels, step cards, the inspector's saved values)."""
    if data is None:
        return "—"
    if data.values is None:
        return f"‖·‖={data.summary['norm']:.{digits}g}" if data.summary else "—"
    flat = data.values.reshape(-1)
    if data.shape == ():
        return f"{float(flat[0]):.{digits}g}"
    text = ", ".join(f"{float(v):.{digits - 1}g}" for v in flat[:width])
    return f"[{text}{', …' if flat.size > width else ''}]"


def matrix_html(data: TensorData | None, max_rows: int = 12, max_cols: int = 12) -> str:
    """A small HTML table of a scalar, vector or matrix (larger tensors are cut, with a note)."""
    if data is None:
        return "<p><i>none</i></p>"
    if data.values is None:
        s = data.summary or {}
        return (f"<p>{html.escape(str(data.shape))}: min {s.get('min', 0):.4g}, max "
                f"{s.get('max', 0):.4g}, mean {s.get('mean', 0):.4g}, ‖·‖ {s.get('norm', 0):.4g}</p>")
    values = data.values
    if values.ndim == 0:
        return f"<p style='font-family: monospace'>{float(values):.6g}</p>"
    if values.ndim == 1:
        values = values.reshape(1, -1)
    elif values.ndim > 2:
        values = values.reshape(-1, values.shape[-1])
    rows = []
    for r in values[:max_rows]:
        cells = "".join(f"<td align='right'>&nbsp;{float(v):.4g}&nbsp;</td>" for v in r[:max_cols])
        rows.append(f"<tr>{cells}{'<td>…</td>' if len(r) > max_cols else ''}</tr>")
    more = "<tr><td>⋮</td></tr>" if len(values) > max_rows else ""
    return ("<table style='font-family: monospace' cellspacing='0' border='1'>"
            + "".join(rows) + more + "</table>")


def list_texts(data: TensorData | None, most: int = 4,
               digits: int = DEFAULT_PRECISION) -> tuple[str, ...]:
    """``short_text`` with ``most`` entries, then with fewer and fewer down to one, each a whole
    list (``[0.26, 1.6, …]``, ``[0.26, …]``): a view shows the longest that fits its line. A
    scalar, a summary or a tensor of one entry has one text."""
    if data is None or data.values is None or data.shape == ():
        return (short_text(data, most, digits),)
    shown = min(max(1, most), max(1, int(data.values.size)))
    return tuple(short_text(data, width=k, digits=digits) for k in range(shown, 0, -1))
