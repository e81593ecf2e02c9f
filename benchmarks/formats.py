"""Print how long formgen takes per form and per format on the samples (not a test).

    .venv/bin/python benchmarks/formats.py [samples]

Loads every project, then times the layout and each writer separately, writing
into a temporary folder, after one warm-up PDF (WeasyPrint's first call loads
Pango and the fonts).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from formgen.workspace import check
from formgen.layout import Layouts
from formgen import writers
from formgen.writers import docx, pdf, xlsx


def main(root: Path) -> None:
    started = time.perf_counter()
    report = check([root])
    loading = time.perf_counter() - started
    layouts = Layouts()
    seconds = {"layout": 0.0, "pages": 0.0, "docx": 0.0, "xlsx": 0.0, "pdf": 0.0}
    printed = []  # per form: its page plan and its PDF, the PDF path's whole cost
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        pdf.write(writers.paginate(layouts.sheet(report.done[0].loaded.project)), out / "warm-up.pdf")
        for job in report.done:
            tick = time.perf_counter()
            sheet = layouts.sheet(job.loaded.project)
            seconds["layout"] += time.perf_counter() - tick
            tick = time.perf_counter()
            sheet = writers.paginate(sheet)  # the page plan: measured (WeasyPrint layout where it cannot)
            planning = time.perf_counter() - tick
            seconds["pages"] += planning
            for name, write in (("docx", docx.write), ("xlsx", xlsx.write), ("pdf", pdf.write)):
                tick = time.perf_counter()
                write(sheet, out / f"form.{name}")
                seconds[name] += time.perf_counter() - tick
            printed.append(planning + time.perf_counter() - tick)
    count = len(report.done)
    print(f"{count} forms, loading and checking all: {loading:.2f} s")
    for name, total in seconds.items():
        print(f"{name:>6}: {total:6.2f} s in all, {total / count * 1000:6.1f} ms per form")
    print(f"PDF with its page plan, median per form: {statistics.median(printed) * 1000:.1f} ms (goal ≤ 110 ms)")
    print(f"PDFs whose pages did not start where planned (fallbacks): {len(pdf.fallbacks)} of {count} (goal 0)"
          + (f": {'、'.join(pdf.fallbacks)}" if pdf.fallbacks else ""))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "samples"))
