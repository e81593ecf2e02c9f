#!/usr/bin/env python3
"""How many samples an office suite prints as planned: the DOCX and the XLSX of each form, printed to
PDF by LibreOffice in each font environment of ``tests/readback.py`` (this machine as it is, and
宋体 drawn in other Song faces, Calibri in Carlito), against the form's page plan.

    .venv/bin/python scripts/office-pagination.py OUTPUT [--multi-page]   (a folder `formgen build samples` wrote)

A form prints as planned when LibreOffice's PDF has the planned number of pages, every page holds
every text of its planned rows (labels included, and the repeated header) and no cell's text is
cut off (``readback.unplanned_print``): the same check as ``tests/test_office.py``.
"""

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from readback import (FONT_ENVIRONMENTS, clipped_pages, comparable_pages, font_environment, missing_faces,  # noqa: E402
                      print_with_libreoffice, printed_sheet, unplanned_print)

from formgen.workspace import check  # noqa: E402
from formgen.workspace.names import form_file_stem  # noqa: E402

FORMATS = ("docx", "xlsx")


def main(output: Path, multi_page: bool) -> int:
    if missing_faces():
        print(f"缺少字体 {'、'.join(missing_faces())}：请运行 scripts/setup-system.sh --office")
        return 1
    forms = [(form, printed_sheet(form.loaded.project)) for form in check([ROOT / "samples"]).done]
    forms = [(form, sheet) for form, sheet in forms if sheet.page_count > 1 or not multi_page]
    stems = [output / f.source.file.parent.relative_to(ROOT / "samples") / form_file_stem(f.name, f.kind) for f, _ in forms]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        files = []
        for index, stem in enumerate(stems):
            for fmt in FORMATS:
                files.append(work / f"{index}-{fmt}.{fmt}")
                shutil.copy(stem.with_suffix(f".{fmt}"), files[-1])
        for name in FONT_ENVIRONMENTS:
            place = work / str(list(FONT_ENVIRONMENTS).index(name))
            printed = print_with_libreoffice(files, place, font_environment(name, place))
            holding = {fmt: 0 for fmt in FORMATS}
            for index, (form, sheet) in enumerate(forms):
                for fmt in FORMATS:
                    pdf = printed / f"{index}-{fmt}.pdf"
                    difference = unplanned_print(sheet, comparable_pages(pdf), clipped_pages(pdf))
                    if difference is None:
                        holding[fmt] += 1
                    else:
                        print(f"  {name}: {fmt}: {form.source.file.name}: {difference}")
            print(f"{name}: " + ", ".join(f"{fmt.upper()} {count} of {len(forms)} forms as planned"
                                          for fmt, count in holding.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), "--multi-page" in sys.argv[2:]))
