#!/usr/bin/env python3
"""Compare two output folders of formgen, file by file, as a reader would see them.

    .venv/bin/python scripts/compare-outputs.py BEFORE AFTER

For a change that must not alter any form (a refactoring): build the samples before and
after it into two folders, then run this. DOCX: every table cell with its merges and
text, and the paragraphs; XLSX: every sheet's cells, merged ranges and values; PDF:
every page rendered to an image by pdftoppm (poppler-utils) and compared pixel for
pixel. Prints one line per file that differs and a count; exits 1 when any differs.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import docx
import openpyxl
from docx.oxml.ns import qn


def docx_content(path: Path) -> list:
    """Every paragraph's text and every table cell's text and merge marks, in body order."""
    body = docx.Document(path).element.body
    content = []
    for element in body.iter(qn("w:p"), qn("w:tc")):
        text = "".join(t.text or "" for t in element.iter(qn("w:t")))
        if element.tag == qn("w:tc"):
            properties = element.find(qn("w:tcPr"))
            span = properties.find(qn("w:gridSpan")) if properties is not None else None
            merge = properties.find(qn("w:vMerge")) if properties is not None else None
            content.append(("cell", span.get(qn("w:val")) if span is not None else "1",
                            None if merge is None else merge.get(qn("w:val"), "continue"), text))
        else:
            content.append(("p", text))
    return content


def xlsx_content(path: Path) -> list:
    workbook = openpyxl.load_workbook(path)
    content = []
    for ws in workbook.worksheets:
        content.append(("sheet", ws.title, sorted(str(r) for r in ws.merged_cells.ranges), ws.print_title_rows))
        for row in ws.iter_rows():
            content += [(cell.coordinate, cell.value, cell.number_format) for cell in row if cell.value is not None]
    return content


def pdf_pages(path: Path) -> list[str]:
    """A hash of each page rendered at 60 dpi."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), f"{folder}/page"], check=True)
        return [hashlib.sha256(page.read_bytes()).hexdigest() for page in sorted(Path(folder).glob("page*.png"))]


READERS = {".docx": docx_content, ".xlsx": xlsx_content, ".pdf": pdf_pages}


def main(before: Path, after: Path) -> int:
    names = sorted({p.relative_to(root) for root in (before, after) for p in root.rglob("*")
                    if p.suffix in READERS and not any(part.startswith(".") for part in p.relative_to(root).parts)})
    differing = []
    for name in names:
        a, b = before / name, after / name
        if not (a.is_file() and b.is_file()):
            differing.append(f"{name}: only in {'before' if a.is_file() else 'after'}")
        elif READERS[name.suffix](a) != READERS[name.suffix](b):
            differing.append(f"{name}: differs")
    for line in differing:
        print(line)
    counts = {suffix: sum(1 for n in names if n.suffix == suffix) for suffix in READERS}
    print(f"compared {len(names)} files ({', '.join(f'{n} {s[1:]}' for s, n in counts.items())}): "
          f"{len(names) - len(differing)} the same, {len(differing)} different")
    return 1 if differing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
