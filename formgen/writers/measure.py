"""How many lines a text needs in an office suite's cell, counted without a font: the lines a
DOCX or XLSX must leave room for, where formgen does not set the type itself.

Word, WPS and Excel print our DOCX and XLSX in 宋体: SimSun on Windows, another face where it is
missing (LibreOffice draws it in Noto Serif CJK, AR PL UMing, or CJK from Noto Sans CJK and Latin
from DejaVu Sans). Every one of them sets a CJK character one em wide; their Latin letters and
digits differ: SimSun's and UMing's are half an em each, Noto Serif CJK's proportional (digits
0.557 em, ``m`` 0.974 em, quotes a full em), DejaVu Sans's wider still (digits 0.636 em). So a
line is measured here with each character as wide as in the widest of those faces
(``_LATIN_EM``, and a full em for everything else), and broken greedily where an office suite may
break it: between CJK characters and after spaces, never before closing punctuation or after
opening punctuation (kinsoku, which Word and WPS apply), and inside a run of Latin letters or
digits only where the run does not fit a line at all. The page plan gives every paragraph the
larger of this count and the PDF's own (``plan``), so a cell never needs more lines in an office
suite than the plan gave it.

Without Pango (no PDF, no plan) this count alone sets the XLSX's row heights (``row_heights_pt``).
It also finds the rows too tall to keep whole on a page (``splittable_rows``).
"""

from __future__ import annotations

import functools
import math
import unicodedata

from ..layout.sheet import MARGIN_MM, PAGE_SIZES_MM, Cell, Sheet

PT_PER_MM = 72 / 25.4
PX_PER_PT = 96 / 72
# Without a plan: the cell geometry of form.css (padding 1.2 mm 1.5 mm, 0.75 pt rules, lines of 1.35 em).
CELL_PADDING_MM = 3.0  # left + right padding inside a cell
LINE_SPACING = 1.35  # line height as a multiple of the font size
MIN_ROW_PT = 20.0

# The advance of each printable ASCII character (from the space to "~"), in hundredths of an em,
# rounded up: the widest of Noto Serif CJK SC, DejaVu Sans and a half-width Song face (SimSun, UMing).
_LATIN_EM = dict(zip(
    "".join(map(chr, range(0x20, 0x7F))), (int(n) / 100 for n in (
        "50 50 50 84 64 96 78 50 50 50 50 84 50 50 50 50 64 64 64 64 64 64 64 64 64 64 50 50 84 84 84 54 100 72 69 70 "
        "78 66 63 78 86 50 50 74 63 98 80 79 65 79 72 64 66 80 72 106 70 69 69 50 50 50 84 57 50 62 64 55 64 62 50 64 "
        "67 50 50 61 50 98 67 62 64 64 50 53 50 66 60 84 60 60 53 64 50 64 84").split())))
# Kinsoku, as Word and WPS apply it: no line starts with these…
CLOSING = set("）)]】》」』〕］｝}〉。，、；：？！%％.,;:?!”’…·")
# …and none ends with these.
OPENING = set("（([【《「『〔［｛{〈“‘")


def char_em(ch: str) -> float:
    """A character's advance in ems in the widest common face that sets it (see the module's docstring)."""
    return _LATIN_EM.get(ch, 1.0)


def office_lines(text: str, width_px: float, font_px: float) -> int:
    """Lines a paragraph takes in a box ``width_px`` wide, at ``font_px``, in the widest common Song face
    (an empty paragraph is still a line in Word and Excel)."""
    return _office_lines(text, round(width_px / font_px, 3))


@functools.lru_cache(maxsize=20_000)
def _office_lines(text: str, width_em: float) -> int:
    lines, used = 1, 0.0
    for unit, hanging in _units(text):
        size = sum(map(char_em, unit))
        if used and used + size > width_em:  # does not fit after what the line holds: a new line
            lines, used = lines + 1, 0.0
        if size > width_em:  # longer than a line: broken between characters, as office suites do
            for ch in unit:
                if used and used + char_em(ch) > width_em:
                    lines, used = lines + 1, 0.0
                used += char_em(ch)
        else:
            used += size
        used += hanging
    return lines


def _units(text: str):
    """The pieces no office suite breaks inside, each with the width of the spaces after it (which may
    hang past the end of a line): a CJK character with the punctuation bound to it, or a run of
    Latin letters and digits."""
    unit, spaces = "", ""
    for ch in text:
        if ch.isspace():
            spaces += ch
            continue
        if unit and _may_break(unit[-1], ch, bool(spaces)):
            yield unit, sum(map(char_em, spaces))
            unit, spaces = "", ""
        unit, spaces = unit + spaces + ch, ""
    if unit or spaces:
        yield unit, sum(map(char_em, spaces))


def _may_break(before: str, after: str, spaced: bool) -> bool:
    if after in CLOSING or before in OPENING:
        return False
    return spaced or _wide(before) or _wide(after)


@functools.lru_cache(maxsize=4096)
def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"  # CJK and full-width forms; "≥", "①" break like letters


def row_heights_pt(sheet: Sheet) -> list[float]:
    """A height per grid row, without a font or a plan, so that every cell, merged or not, shows all
    of its text (lines as ``office_lines`` counts them, of form.css's height and padding)."""
    widths = sheet.column_widths_mm()
    font_pt = float(sheet.font_size_pt)
    line_pt = font_pt * LINE_SPACING
    heights = [MIN_ROW_PT] * sheet.row_count
    # Single-row cells first, then merged cells from the smallest span up, each
    # spreading what it still lacks over the rows it covers.
    for cell in sorted(sheet.cells, key=lambda c: c.rowspan):
        width_px = (sum(widths[cell.col : cell.col + cell.colspan]) - CELL_PADDING_MM) * PT_PER_MM * PX_PER_PT
        needed = cell_lines(cell, width_px, font_pt * PX_PER_PT) * line_pt + 7
        rows = range(cell.row, cell.row + cell.rowspan)
        lacking = needed - sum(heights[r] for r in rows)
        if lacking > 0:
            for r in rows:
                heights[r] += lacking / cell.rowspan
    return [math.ceil(h) for h in heights]


def cell_lines(cell: Cell, width_px: float, font_px: float) -> int:
    """Lines of all of a cell's paragraphs (one at least: Word and Excel give an empty cell a line)."""
    return sum(office_lines(p, width_px, font_px) for p in cell.paragraphs) or 1


def splittable_rows(sheet: Sheet, share: float = 0.4) -> set[int]:
    """Rows so tall (long goals, long reasons) that keeping them whole would leave most of a page
    empty, or clip them in Word: these may run over a page break; every other row stays whole."""
    page_pt = (PAGE_SIZES_MM[sheet.orientation][1] - 2 * MARGIN_MM) * PT_PER_MM
    return {row for row, height in enumerate(row_heights_pt(sheet)) if height > page_pt * share}
