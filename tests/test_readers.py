"""Readers are the writers' mirror: a written DOCX or XLSX form reads back into the Sheet it was written from."""

from decimal import Decimal

from readback import printed_sheet, xlsx_row_starts

from formgen.readers import form_kind, read


def test_docx_reads_back_into_the_written_sheet(fidelity_build):
    for form in fidelity_build.done:
        sheet = printed_sheet(form.loaded.project)
        [found] = read(form.stem.with_suffix(".docx"))
        assert found.sheet.grid() == sheet.grid(), form.name
        assert [h.text for h in found.sheet.headings] == [h.text for h in sheet.headings]
        assert form_kind(found.sheet) == form.kind
        assert found.address((2, 1)) == f"{form.stem.name}.docx#1 表格第 3 行第 2 列"


def test_xlsx_reads_back_the_same_grid_below_its_headings_with_amounts_exact(fidelity_build):
    for form in fidelity_build.done:
        sheet = printed_sheet(form.loaded.project)
        [found] = read(form.stem.with_suffix(".xlsx"))
        top = len(sheet.headings)
        starts = [row - 1 for row in xlsx_row_starts(form.stem.with_suffix(".xlsx"), top + 1)]  # 0-based
        cells = {(starts.index(c.row), c.col): c for c in found.sheet.cells if c.row in starts}
        for c in cells.values():  # rowspans in grid rows: a tall grid row spans several worksheet rows
            c.rowspan = sum(1 for s in starts if c.row <= s < c.row + c.rowspan)
        for cell in sheet.cells:
            back = cells[cell.row, cell.col]
            assert (back.rowspan, back.colspan) == (cell.rowspan, cell.colspan), (form.name, cell.text)
            if cell.amount is not None:
                assert back.amount == cell.amount and isinstance(back.amount, Decimal)
            else:
                assert back.text == cell.text, form.name
        assert found.address((6, 2)) == f"{form.stem.name}.xlsx {found.sheet.name}!C7"


def test_a_compilation_reads_as_one_sheet_a_form(fidelity_build):
    compilations = [p for p in fidelity_build.compilations if p.suffix in (".docx", ".xlsx")]
    assert len(compilations) == 2 * 5
    for path in compilations:
        unit = sorted(form.kind for form in fidelity_build.done if form.stem.parent == path.parent)
        assert sorted(form_kind(found.sheet) for found in read(path)) == unit, path.name
