#!/usr/bin/env python3
"""How many samples LibreOffice paginates as planned: the DOCX and the XLSX of each form, converted
to PDF by LibreOffice, against formgen's own PDF of the form.

    .venv/bin/python scripts/office-pagination.py OUTPUT   (a folder `formgen build samples` wrote)

A form paginates as planned when LibreOffice's PDF has as many pages as formgen's and every
planned page start (``Sheet.page_starts``) opens its page with its row's texts, labels included.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from readback import comparable_pages, printed_sheet, unplanned_page  # noqa: E402

from formgen.workspace import check  # noqa: E402
from formgen.workspace.names import form_file_stem  # noqa: E402

FORMATS = ("docx", "xlsx")


def main(output: Path) -> int:
    forms = check([ROOT / "samples"]).done
    stems = [output / f.source.file.parent.relative_to(ROOT / "samples") / form_file_stem(f.name, f.kind) for f in forms]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for index, stem in enumerate(stems):
            for fmt in FORMATS:
                shutil.copy(stem.with_suffix(f".{fmt}"), work / f"{index}-{fmt}.{fmt}")
        subprocess.run(["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless", "--convert-to", "pdf",
                        "--outdir", str(work / "pdf"), *sorted(str(p) for p in work.glob("*.*x"))],
                       check=True, capture_output=True)
        planned = {fmt: 0 for fmt in FORMATS}
        for index, (form, stem) in enumerate(zip(forms, stems)):
            sheet, ours = printed_sheet(form.loaded.project), comparable_pages(stem.with_suffix(".pdf"))
            for fmt in FORMATS:
                difference = unplanned_page(sheet, ours, comparable_pages(work / "pdf" / f"{index}-{fmt}.pdf"))
                if difference is None:
                    planned[fmt] += 1
                else:
                    print(f"{fmt}: {form.source.file.name}: LibreOffice {difference}")
    print(", ".join(f"{fmt.upper()} {count} of {len(forms)} as planned" for fmt, count in planned.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
