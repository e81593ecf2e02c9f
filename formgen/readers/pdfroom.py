"""How wide a cell's lines could be: the room :mod:`.pdftext` holds each line against.

A line wrapped where its next piece would not have fitted beside it, so the reading of a
line break rests on the width the program gave the text: the cell's width less its padding.
Only the rules and the text are on the page, so that width is known between two bounds:

* at least as wide as the widest line drawn in the same column (cells between the same rules
  on the page): it held that line;
* about the cell's width less twice its left padding (text left-aligned in the column starts
  at the padding; the padding on the right is taken to be the same), give or take how much
  the paddings the document shows differ: the left edges of left-aligned text and the right edges
  of right-aligned text in each column. WeasyPrint pads every cell alike (they differ by
  thousandths of a point): its widths are known to that. Chromium snaps each rule to a device
  pixel (moving the padding by up to 0.75 pt) and LibreOffice pads right and left unlike (by
  a quarter point); where paddings differ, a column's may lie a little beyond those measured,
  and the bounds widen by twice the measuring tolerance more.

A column's padding on one side is the smallest gap there between its text and the rule, where
lines a point or more unlike in width share it (centred lines of nearly one width share edges
too); a column with no such left edge (centred labels) takes the document's smallest padding.
"""

from __future__ import annotations

from .pdftext import TOLERANCE

SAME = 0.02  # points: edges closer than this are one
UNLIKE = 1.0  # points: lines this much unlike in width that share an edge are aligned to it, not centred


def set_available(pages: list[list[dict]]) -> None:
    """Give each cell (``bbox`` and ``lines``) of a document, page by page, its ``available``
    width: [narrowest, widest]. The paddings are compared across the document: one program
    laid it all out."""
    laid_out = [_columns(cells) for cells in pages]
    paddings = [gap for columns in laid_out for _, left, right in columns.values() for gap in (left, right)
                if gap is not None]
    smallest = min(paddings, default=2.0)
    spread = max(paddings, default=0.0) - smallest
    if spread > SAME or len(paddings) < 2:
        spread += 2 * TOLERANCE  # a column's padding may lie a little beyond those measured
    for columns in laid_out:
        for members, left, _ in columns.values():
            width = members[0]["bbox"][2] - members[0]["bbox"][0]
            estimate = width - 2 * (left if left is not None else smallest)
            widest_line = max((_width(line) for cell in members for line in cell["lines"]), default=0.0)
            narrowest = max(widest_line, estimate - spread)
            for cell in members:
                cell["available"] = [narrowest, max(narrowest, estimate + spread)]


def _columns(cells: list[dict]) -> dict[tuple[float, float], tuple[list[dict], float | None, float | None]]:
    """A page's cells by column (the same rules left and right), each with its left and right padding."""
    columns: dict[tuple[float, float], list[dict]] = {}
    for cell in cells:
        columns.setdefault((round(cell["bbox"][0], 1), round(cell["bbox"][2], 1)), []).append(cell)
    found = {}
    for key, members in columns.items():
        x0, x1 = members[0]["bbox"][0], members[0]["bbox"][2]
        lines = [line for cell in members for line in cell["lines"]]
        left = _shared_edge([(line[0]["x0"] - x0, _width(line)) for line in lines])
        # On the right, not the lines that start at the left padding: a left-aligned line can
        # end where a centred one does, by chance.
        right = _shared_edge([(x1 - _ink(line)[-1]["x1"], _width(line)) for line in lines
                              if left is None or line[0]["x0"] - x0 - left > SAME])
        found[key] = (members, left, right)
    return found


def _shared_edge(gaps: list[tuple[float, float]]) -> float | None:
    """The column's smallest gap between text and rule on one side, where lines a point or more
    unlike in width share it (an aligned edge, so the padding); None where they do not."""
    if not gaps:
        return None
    smallest = min(gap for gap, _ in gaps)
    widths = [width for gap, width in gaps if gap - smallest <= SAME]
    return smallest if max(widths) - min(widths) > UNLIKE else None


def _ink(line: list[dict]) -> list[dict]:
    return [c for c in line if not c["text"].isspace()] or line


def _width(line: list[dict]) -> float:
    """From the line's first character to its last one drawn (a space it ends with hangs)."""
    return _ink(line)[-1]["x1"] - line[0]["x0"]
