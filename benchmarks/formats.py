"""Print how long formgen takes per form and per format on the samples (not a test).

    .venv/bin/python benchmarks/formats.py [samples]

Loads every project, then times the layout, the page plan and each writer separately,
writing into a temporary folder, after one warm-up PDF (WeasyPrint's first call loads
Pango and the fonts). Next to the XLSX, the floor of the library it drives: openpyxl
writing the same cells and merges with no styles, heights or print setup.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from formgen.workspace import check
from formgen.layout import Layouts
from formgen import writers
from formgen.writers import docx, pdf, xlsx


def main(root: Path) -> None:
    started = time.perf_counter()
    report = check([root])
    loading = time.perf_counter() - started
    layouts = Layouts()
    seconds: dict[str, list[float]] = {name: [] for name in ("layout", "pages", "docx", "xlsx", "openpyxl floor", "pdf")}

    def timed(name, action):
        tick = time.perf_counter()
        result = action()
        seconds[name].append(time.perf_counter() - tick)
        return result

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        pdf.write(writers.paginate(layouts.sheet(report.done[0].loaded.project)), out / "warm-up.pdf")
        for job in report.done:
            sheet = timed("layout", lambda: layouts.sheet(job.loaded.project))
            sheet = timed("pages", lambda: writers.paginate(sheet))  # measured (laid out where it cannot be)
            timed("docx", lambda: docx.write(sheet, out / "form.docx"))
            timed("xlsx", lambda: xlsx.write(sheet, out / "form.xlsx"))
            timed("openpyxl floor", lambda: _bare_workbook(sheet, out / "bare.xlsx"))
            timed("pdf", lambda: pdf.write(sheet, out / "form.pdf"))
    count = len(report.done)
    print(f"{count} forms, loading and checking all: {loading:.2f} s")
    for name, values in seconds.items():
        print(f"{name:>14}: {sum(values):6.2f} s in all, {sum(values) / count * 1000:6.1f} ms per form, "
              f"median {statistics.median(values) * 1000:6.1f} ms")
    printed = statistics.median(a + b for a, b in zip(seconds["pages"], seconds["pdf"]))
    print(f"PDF with its page plan, median per form: {printed * 1000:.1f} ms (goal ≤ 110 ms)")
    print(f"PDFs whose pages did not start where planned (fallbacks): {len(pdf.fallbacks)} of {count} (goal 0)"
          + (f": {'、'.join(pdf.fallbacks)}" if pdf.fallbacks else ""))


def _bare_workbook(sheet, path) -> None:
    workbook = Workbook()
    ws = workbook.active
    for cell in sheet.cells:
        target = ws.cell(row=cell.row + 1, column=cell.col + 1)
        target.value = cell.amount if cell.amount is not None else cell.text
        if cell.rowspan > 1 or cell.colspan > 1:
            ws.merge_cells(start_row=cell.row + 1, start_column=cell.col + 1,
                           end_row=cell.row + cell.rowspan, end_column=cell.col + cell.colspan)
    workbook.save(path)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "samples"))
