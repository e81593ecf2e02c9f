"""Sheet → plain text: one line a cell with its place and span, for golden tests and readable diffs.

Not a format users ask for; it has the writers' signature so that a test (or a
developer comparing two layouts) can write any form as text::

    r0 c0 1x4 th center | 财政项目支出绩效目标申报表
"""

from __future__ import annotations

from pathlib import Path

from ..layout.sheet import Sheet


def text(sheet: Sheet) -> str:
    """The headings, then every cell in reading order: ``r<row> c<col> <rows>x<cols> th|td <align> | text``."""
    lines = [f"{sheet.name} ({sheet.orientation}, {sheet.row_count} rows, columns "
             f"{' '.join(str(w) for w in sheet.column_widths)}%, repeat {list(sheet.repeat_rows)})"]
    lines += [f"{heading.kind} {heading.align} | {heading.text}" for heading in sheet.headings]
    for cell in sorted(sheet.cells, key=lambda c: (c.row, c.col)):
        kind = "th" if cell.is_label else "td"
        amount = f" ={cell.amount}" if cell.amount is not None else ""
        shown = " ¶ ".join(cell.paragraphs)  # a paragraph break
        lines.append(f"r{cell.row} c{cell.col} {cell.rowspan}x{cell.colspan} {kind} {cell.align}{amount} | {shown}")
    return "\n".join(lines) + "\n"


def write(sheet: Sheet, path) -> None:
    Path(path).write_text(text(sheet), encoding="utf-8")
