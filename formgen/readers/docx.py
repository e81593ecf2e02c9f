"""DOCX → Sheet: one per form of a document, its title paragraphs as headings, its tables as one grid.

A new form starts at a title paragraph (or at the first text after a grid), so a
汇总表 document reads as one Sheet a form. The package is checked first (:mod:`.package`),
and a cell's ``gridSpan`` is held to the bounds before anything counts its slots.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from . import MAX_COLUMNS, MAX_ROWS, ReadError, ReadSheet, too_many_columns, too_many_rows
from . import package as packages
from ..layout.sheet import Cell, Heading, Sheet


def read(path: Path, kind=None, name: str | None = None):
    """The forms of ``path``; ``name`` is the file name messages give (the user's file when
    this one was converted from it)."""
    import docx
    from docx.oxml.ns import qn

    name = name or path.name
    try:
        with zipfile.ZipFile(path) as package:
            packages.check(path, package)
        with open(path, "rb") as data:  # a file object: any suffix opens
            body = docx.Document(data).element.body
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError) as error:
        raise ReadError(f"{path}：不是有效的 DOCX 文件，或已损坏（{error}）") from None
    found: list[ReadSheet] = []
    current: Sheet | None = None
    header_seen = False  # the current form's header rows were read: later copies are skipped
    for element in body.iterchildren():
        if element.tag == qn("w:p"):
            text = "".join(t.text or "" for t in element.iter(qn("w:t"))).strip()
            if not text:
                continue
            if current is None or current.cells:  # a form's first line, or a line after its grid
                current, header_seen = Sheet(f"#{len(found) + 1}", [], [], [], 0), False
                source = f"{name}#{len(found) + 1}"
                found.append(ReadSheet(current, source,
                                       lambda rc, source=source: f"{source} 表格第 {rc[0] + 1} 行第 {rc[1] + 1} 列"))
            current.headings.append(Heading(text, "note"))
        elif element.tag == qn("w:tbl") and current is not None:
            header_seen = _read_table(path, element, current, qn, header_seen) or header_seen
    return found


def _read_table(path: Path, table, sheet: Sheet, qn, skip_headers: bool) -> bool:
    """Append a table's rows to the sheet's grid; ``vMerge`` continuations extend the cell above.
    With ``skip_headers``, header rows are left out: a form's next page repeats the header the
    sheet already has. Returns whether the table had header rows."""
    open_cells: dict[int, Cell] = {}
    had_headers = False
    for tr in table.findall(qn("w:tr")):
        properties = tr.find(qn("w:trPr"))
        if properties is not None and properties.find(qn("w:tblHeader")) is not None:
            had_headers = True
            if skip_headers:
                continue
        col = 0
        for tc in tr.findall(qn("w:tc")):
            properties = tc.find(qn("w:tcPr"))
            span_element = properties.find(qn("w:gridSpan")) if properties is not None else None
            span = _span(span_element.get(qn("w:val"))) if span_element is not None else 1
            if col + span > MAX_COLUMNS:
                raise too_many_columns(path, sheet.name)
            merge = properties.find(qn("w:vMerge")) if properties is not None else None
            if merge is not None and merge.get(qn("w:val")) in (None, "continue") and col in open_cells:
                open_cells[col].rowspan += 1
            else:
                text = "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.findall(qn("w:p")))
                text = text.strip("\n")
                cell = Cell(sheet.row_count, col, text.split("\n") if text else [], 1, span)
                sheet.cells.append(cell)
                open_cells[col] = cell
            col += span
        sheet.row_count += 1
        if sheet.row_count > MAX_ROWS:
            raise too_many_rows(path, sheet.name, sheet.row_count)
    return had_headers


def _span(text: str | None) -> int:
    """A ``gridSpan`` as a number (a huge one only as large as the bound needs); Word ignores a malformed one."""
    return min(int(text[:9]), MAX_COLUMNS + 1) if text and text.isascii() and text.isdigit() else 1
