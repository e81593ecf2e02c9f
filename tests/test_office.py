"""A real client opens our files: LibreOffice converts every DOCX and XLSX written, 汇总表 included, to PDF.

``make test`` installs LibreOffice (scripts/setup-system.sh --office), so this runs
everywhere the tests run; a machine without it fails here rather than skipping.
"""

import re
import shutil
import subprocess

import pytest

from readback import comparable, comparable_pages, printed_sheet, unplanned_page

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.office
def test_libreoffice_converts_every_docx_and_xlsx_with_all_their_text(fidelity_build, tmp_path):
    if SOFFICE is None:
        pytest.fail("LibreOffice is missing: `make test` installs it (scripts/setup-system.sh --office)")
    sources = [p for p in fidelity_build.written if p.suffix in (".docx", ".xlsx")]
    assert len(sources) == 2 * len(fidelity_build.done) + 2 * 5  # the forms, and the 汇总表 of 5 units
    for index, source in enumerate(sources):  # copies with plain names: one soffice call for all of them
        shutil.copy(source, tmp_path / f"{index}{source.suffix}")
    profile = tmp_path / "profile"
    completed = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path / "pdf"), *sorted(str(p) for p in tmp_path.glob("*.*x"))],
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    sheets = {form.stem: printed_sheet(form.loaded.project) for form in fidelity_build.done}
    for index, source in enumerate(sources):
        pdf = tmp_path / "pdf" / f"{index}.pdf"
        assert pdf.is_file(), (source.name, completed.stdout, completed.stderr)
        pages = comparable_pages(pdf)
        text = "".join(pages)
        sheet = sheets.get(source.with_suffix(""))
        if sheet is not None:  # the running footer of each page, which a text split by a page break spans
            text = re.sub(re.escape(comparable(sheet.name)) + r"第\d+页共\d+页", "", text)
        assert ("三级指标" in text or "三级目标" in text) and "项目名称" in text, source.name
        if sheet is not None and source.suffix == ".docx":  # a form's document: every text, as written
            for cell in sheet.cells:
                for para in cell.paragraphs:
                    assert comparable(para) in text, (source.name, para)
        if sheet is None:  # a 汇总表: each form numbers its own pages from 1, and counts them right
            footers = [tuple(map(int, found)) for page in pages for found in re.findall(r"第(\d+)页共(\d+)页", page)]
            assert len(footers) >= len(pages) - 2, source.name  # all but the cover and the index
            runs = [footers[i:i + count] for i, (number, count) in enumerate(footers) if number == 1]
            assert sum(map(len, runs)) == len(footers), (source.name, footers)
            assert all(run == [(k, len(run)) for k in range(1, len(run) + 1)] for run in runs), (source.name, footers)
            assert any(len(run) > 1 for run in runs), source.name
        if sheet is not None:  # pages open where the PDF opens them, each with the labels of its rows
            difference = unplanned_page(sheet, comparable_pages(source.with_suffix(".pdf")), pages)
            assert difference is None, (source.name, difference)
