"""A real client opens our files: LibreOffice converts every DOCX and XLSX written, 汇总表 included, to
PDF; and prints every multi-page sample's DOCX and XLSX with the pages of the plan in every font
environment of ``readback.FONT_ENVIRONMENTS`` (宋体 and Calibri drawn in other faces, as on machines
without them).

``make test`` installs LibreOffice and the faces (scripts/setup-system.sh --office), so this runs
everywhere the tests run; a machine without them fails here rather than skipping.
"""

import re
import shutil

import pytest

from readback import (FONT_ENVIRONMENTS, clipped_pages, comparable_pages, font_environment, missing_faces,
                      print_with_libreoffice, printed_sheet, unplanned_print)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def require_office():
    if SOFFICE is None:
        pytest.fail("LibreOffice is missing: `make test` installs it (scripts/setup-system.sh --office)")
    if missing_faces():
        pytest.fail(f"faces missing: {missing_faces()}: `make test` installs them (scripts/setup-system.sh --office)")


@pytest.mark.office
def test_libreoffice_converts_every_docx_and_xlsx_with_all_their_text(fidelity_build, tmp_path):
    require_office()
    sources = [p for p in fidelity_build.written if p.suffix in (".docx", ".xlsx")]
    assert len(sources) == 2 * len(fidelity_build.done) + 2 * 5  # the forms, and the 汇总表 of 5 units
    copies = []
    for index, source in enumerate(sources):  # copies with plain names: one soffice call for all of them
        copies.append(tmp_path / f"{index}{source.suffix}")
        shutil.copy(source, copies[-1])
    printed = print_with_libreoffice(copies, tmp_path, font_environment("as is", tmp_path), SOFFICE)
    sheets = {form.stem: printed_sheet(form.loaded.project) for form in fidelity_build.done}
    for index, source in enumerate(sources):
        pdf = printed / f"{index}.pdf"
        assert pdf.is_file(), source.name
        pages = comparable_pages(pdf)
        text = "".join(pages)
        sheet = sheets.get(source.with_suffix(""))
        assert ("三级指标" in text or "三级目标" in text) and "项目名称" in text, source.name
        if sheet is not None:  # a form: its pages as planned, each with every text of its rows
            difference = unplanned_print(sheet, pages, clipped_pages(pdf))
            assert difference is None, (source.name, difference)
        else:  # a 汇总表: each form numbers its own pages from 1, and counts them right
            footers = [tuple(map(int, found)) for page in pages for found in re.findall(r"第(\d+)页共(\d+)页", page)]
            assert len(footers) >= len(pages) - 2, source.name  # all but the cover and the index
            runs = [footers[i:i + count] for i, (number, count) in enumerate(footers) if number == 1]
            assert sum(map(len, runs)) == len(footers), (source.name, footers)
            assert all(run == [(k, len(run)) for k in range(1, len(run) + 1)] for run in runs), (source.name, footers)
            assert any(len(run) > 1 for run in runs), source.name


@pytest.fixture(scope="module")
def multi_page_samples(tmp_path_factory):
    """The DOCX and XLSX of every sample that prints on more than one page, with its planned sheet."""
    from conftest import SAMPLES

    from formgen.workspace import build

    output = tmp_path_factory.mktemp("office-samples")
    report = build([SAMPLES], output, ("docx", "xlsx"))
    assert report.ok, report.failed
    forms = [(form, printed_sheet(form.loaded.project)) for form in report.built]
    return [(form.stem, sheet) for form, sheet in forms if sheet.page_count > 1]


@pytest.mark.office
@pytest.mark.parametrize("environment", list(FONT_ENVIRONMENTS))
def test_every_multi_page_sample_prints_as_planned_in_every_font_environment(multi_page_samples, environment, tmp_path):
    """Whatever faces LibreOffice draws 宋体 and Calibri in: the planned page count, every page with every
    text of its planned rows (labels, values, the repeated header), and no cell's text cut off."""
    require_office()
    assert len(multi_page_samples) >= 25
    copies = []
    for index, (stem, _) in enumerate(multi_page_samples):
        for fmt in ("docx", "xlsx"):
            copies.append(tmp_path / f"{index}-{fmt}.{fmt}")
            shutil.copy(stem.with_suffix(f".{fmt}"), copies[-1])
    printed = print_with_libreoffice(copies, tmp_path, font_environment(environment, tmp_path), SOFFICE)
    wrong = []
    for index, (stem, sheet) in enumerate(multi_page_samples):
        for fmt in ("docx", "xlsx"):
            pdf = printed / f"{index}-{fmt}.pdf"
            difference = unplanned_print(sheet, comparable_pages(pdf), clipped_pages(pdf))
            if difference is not None:
                wrong.append((stem.name, fmt, difference))
    assert wrong == []


@pytest.mark.office
def test_a_cell_too_short_for_its_text_is_found_clipped(tmp_path):
    """The check above finds a cut off text by its picture (the text itself is still in the PDF)."""
    import openpyxl
    from openpyxl.styles import Alignment

    require_office()
    for name, height in (("short", 30), ("tall", 200)):
        workbook = openpyxl.Workbook()
        cell = workbook.active["A1"]
        cell.value, cell.alignment = "很长的一段文字，折成好几行。" * 6, Alignment(wrap_text=True, vertical="center")
        workbook.active.column_dimensions["A"].width = 20
        workbook.active.row_dimensions[1].height = height
        workbook.save(tmp_path / f"{name}.xlsx")
    printed = print_with_libreoffice([tmp_path / "short.xlsx", tmp_path / "tall.xlsx"], tmp_path,
                                     font_environment("as is", tmp_path), SOFFICE)
    assert clipped_pages(printed / "short.pdf") == [1] and clipped_pages(printed / "tall.pdf") == []
