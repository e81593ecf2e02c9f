"""How much room a text needs in a cell, estimated without a font: the row heights no
spreadsheet computes for us, where there is no Pango to measure them (``plan``).

Neither Excel nor LibreOffice grows a row to fit a merged, wrapped cell, so the
XLSX writer must set every row height itself or long goals are cut off on paper.
With Pango it takes the PDF's own heights (``plan.row_heights_pt``); without, this
estimate, deliberately generous: a Song face sets a CJK character one em wide and
most Latin characters and digits half an em; we round each line up and add a margin
for the face a reader's machine substitutes. It also finds the rows too tall to keep
whole on a page, which the PDF lets break and the plan leaves to WeasyPrint.
"""

from __future__ import annotations

import math
import unicodedata

from ..layout.sheet import MARGIN_MM, PAGE_SIZES_MM, Cell, Sheet

PT_PER_MM = 72 / 25.4
CELL_PADDING_MM = 3.0  # left + right padding inside a cell
LINE_SPACING = 1.35  # line height as a multiple of the font size
SAFETY = 1.12  # room for a substituted face that sets a little wider
MIN_ROW_PT = 20.0


def text_width_em(text: str) -> float:
    """Width of a line of text in ems: wide (CJK, full-width) characters 1, others 0.55."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in text)


def line_count(cell: Cell, width_mm: float, font_pt: float) -> int:
    """Lines a cell's text wraps to in a cell ``width_mm`` wide."""
    em_mm = font_pt / PT_PER_MM
    per_line = max((width_mm - CELL_PADDING_MM) / em_mm, 1.0)
    return sum(max(1, math.ceil(text_width_em(para) * SAFETY / per_line)) for para in cell.paragraphs) or 1


def row_heights_pt(sheet: Sheet) -> list[float]:
    """A height per grid row so that every cell, merged or not, shows all of its text."""
    widths = sheet.column_widths_mm()
    font = float(sheet.font_size_pt)
    line_pt = font * LINE_SPACING
    heights = [MIN_ROW_PT] * sheet.row_count
    # Single-row cells first, then merged cells from the smallest span up, each
    # spreading what it still lacks over the rows it covers.
    for cell in sorted(sheet.cells, key=lambda c: c.rowspan):
        width = sum(widths[cell.col : cell.col + cell.colspan])
        needed = line_count(cell, width, font) * line_pt + 6
        rows = range(cell.row, cell.row + cell.rowspan)
        lacking = needed - sum(heights[r] for r in rows)
        if lacking > 0:
            for r in rows:
                heights[r] += lacking / cell.rowspan
    return [math.ceil(h) for h in heights]


def splittable_rows(sheet: Sheet, share: float = 0.4) -> set[int]:
    """Rows so tall (long goals, long reasons) that keeping them whole would leave most of a page
    empty, or clip them in Word: these may run over a page break; every other row stays whole."""
    page_pt = (PAGE_SIZES_MM[sheet.orientation][1] - 2 * MARGIN_MM) * PT_PER_MM
    return {row for row, height in enumerate(row_heights_pt(sheet)) if height > page_pt * share}
