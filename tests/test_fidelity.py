"""Each written file, read back, holds the grid its layout produced: same cells, spans, texts."""

import math
import re

import openpyxl
import pytest
from pypdf import PdfReader
from readback import (docx_grid, docx_headings, pdf_fonts, pdf_page_images, pdf_text, printed_sheet, xlsx_grid,
                      xlsx_row_starts)

from formgen.writers.xlsx import MONEY_FORMAT, WHOLE_MONEY_FORMAT


def jobs(report):
    return [(job, printed_sheet(job.loaded.project)) for job in report.done]


def job_named(report, name, form="申报表"):
    return next((job, sheet) for job, sheet in jobs(report)
                if job.loaded.project.name == name and job.loaded.project.form == form)


LONG_FORM = "城管执法社会宣传"  # runs over three pages (the 申报表; its 自评表 over four)
SHORT_FORM = "课题研究"


def test_docx_holds_the_layout_grid(fidelity_build):
    for job, sheet in jobs(fidelity_build):
        path = job.stem.with_suffix(".docx")
        assert docx_grid(path) == sheet.grid(), path.name
        assert docx_headings(path) == [h.text for h in sheet.headings]


def test_docx_sets_east_asian_font_and_repeats_the_indicator_header(fidelity_build):
    import docx
    from docx.oxml.ns import qn

    job, sheet = job_named(fidelity_build, SHORT_FORM)
    document = docx.Document(job.stem.with_suffix(".docx"))
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"
    tables = document.element.body.findall(qn("w:tbl"))
    assert len(tables) == 2  # the indicator table starts with its repeating header row
    first_row = tables[1].find(qn("w:tr"))
    assert first_row.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_docx_leaves_nothing_vertical_to_the_face(fidelity_build):
    """Exact line pitch (the plan's) in every paragraph of a form, cell margins equal to the PDF's
    padding, rows at least as tall as planned, no paragraph defaults or CJK/Latin spacing of the
    template, and the footer inside the bottom margin: the page holds whatever face prints it."""
    import docx
    from docx.oxml.ns import qn

    job, sheet = job_named(fidelity_build, LONG_FORM)
    document = docx.Document(job.stem.with_suffix(".docx"))
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = defaults.find(qn("w:spacing"))
    assert (spacing.get(qn("w:before")), spacing.get(qn("w:after")), spacing.get(qn("w:line"))) == ("0", "0", "240")
    assert defaults.find(qn("w:autoSpaceDE")).get(qn("w:val")) == defaults.find(qn("w:autoSpaceDN")).get(qn("w:val")) == "0"
    body = document.element.body
    line = str(int(sheet.metrics.line * 20))
    for tc in body.iter(qn("w:tc")):
        for p in tc.findall(qn("w:p")):
            spacing = p.find(qn("w:pPr")).find(qn("w:spacing"))
            assert (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule")), spacing.get(qn("w:after"))) == (line, "exact", "0")
    headings = [p for p in body.findall(qn("w:p")) if p.find(qn("w:r")) is not None]
    for paragraph, heading in zip(headings, sheet.headings):
        assert paragraph.find(qn("w:pPr")).find(qn("w:spacing")).get(qn("w:lineRule")) == "exact"
    margins = body.find(qn("w:tbl")).find(qn("w:tblPr")).find(qn("w:tblCellMar"))
    assert int(margins.find(qn("w:top")).get(qn("w:w"))) == round(sheet.metrics.padding[0] * 20)
    assert int(margins.find(qn("w:left")).get(qn("w:w"))) == round(sheet.metrics.padding[1] * 20)
    rows = [tr.find(qn("w:trPr")) for index, table in enumerate(body.findall(qn("w:tbl"))) for tr in table.findall(qn("w:tr"))
            if index < 2 or tr.find(qn("w:trPr")).find(qn("w:tblHeader")) is None]  # not the header again on later pages
    heights = [int(row.find(qn("w:trHeight")).get(qn("w:val"))) for row in rows]
    planned = [round(h * 20) for h in sheet.row_heights(lambda c: sheet.metrics.cell_height(c.lines))]
    assert heights == planned
    section = document.sections[0]
    footer = section.footer._element.find(qn("w:p")).find(qn("w:pPr")).find(qn("w:spacing"))
    assert footer.get(qn("w:lineRule")) == "exact"
    assert section.footer_distance + int(footer.get(qn("w:line"))) * 635 < section.bottom_margin  # EMU: 635 a twip


def test_xlsx_columns_are_the_planned_pixels_wide(fidelity_build):
    """ECMA-376 §18.3.1.13: a column of w characters is drawn Truncate(((256 w + Truncate(128 / 7)) / 256) × 7)
    pixels wide (the 5 px of padding included): the planned millimetres, less than a pixel short."""
    from openpyxl.utils import get_column_letter

    for job, sheet in jobs(fidelity_build):
        ws = openpyxl.load_workbook(job.stem.with_suffix(".xlsx")).active
        for index, mm in enumerate(sheet.column_widths_mm(), 1):
            width = ws.column_dimensions[get_column_letter(index)].width
            pixels = math.floor((256 * width + math.floor(128 / 7)) / 256 * 7)
            assert mm * 96 / 25.4 - 1 < pixels <= mm * 96 / 25.4, (job.name, index)


def test_xlsx_holds_the_layout_grid(fidelity_build):
    for job, sheet in jobs(fidelity_build):
        path = job.stem.with_suffix(".xlsx")
        assert xlsx_grid(path, len(sheet.headings) + 1) == sheet.grid(), path.name


def test_xlsx_stores_amounts_as_numbers_and_texts_as_text(fidelity_build):
    for job, sheet in jobs(fidelity_build):
        ws = openpyxl.load_workbook(job.stem.with_suffix(".xlsx")).active
        top = len(sheet.headings) + 1
        starts = xlsx_row_starts(job.stem.with_suffix(".xlsx"), top)
        header_end = max(sheet.repeat_rows) + 1
        for cell in sheet.cells:
            # a label running on below the header Excel repeats stands below it (writers.xlsx)
            below_header = cell.row < header_end < cell.row + cell.rowspan
            written = ws.cell(row=starts[header_end if below_header else cell.row], column=1 + cell.col)
            if cell.amount is not None:
                shown = MONEY_FORMAT if "." in cell.text else WHOLE_MONEY_FORMAT  # the 2020 forms print whole 元
                assert written.data_type == "n" and written.number_format == shown
            elif cell.text:
                assert written.data_type == "s", (cell.text, written.data_type)
        assert int(ws.page_setup.paperSize) == 9 and 50 <= int(ws.page_setup.scale) <= 100  # 9 is A4
        assert not ws.sheet_properties.pageSetUpPr.fitToPage  # Excel ignores manual page breaks "fitting to" pages
        repeat = starts[sheet.repeat_rows[0]]
        assert ws.print_title_rows == f"${repeat}:${repeat}"
        assert all(height <= 409 for height in (ws.row_dimensions[r].height for r in range(top, ws.max_row + 1))
                   if height)  # Excel and WPS cut taller rows when printing


def test_xlsx_borders_every_edge_and_rows_fit_their_text(fidelity_build):
    job, sheet = job_named(fidelity_build, LONG_FORM)  # the long 城管执法社会宣传 form
    ws = openpyxl.load_workbook(job.stem.with_suffix(".xlsx")).active
    top = len(sheet.headings) + 1
    for cell in sheet.cells:  # each slot on the edge of a (merged) cell has that edge's border
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                border = ws.cell(row=top + r, column=1 + c).border
                edges = {"top": r == cell.row, "bottom": r == cell.row + cell.rowspan - 1,
                         "left": c == cell.col, "right": c == cell.col + cell.colspan - 1}
                for side, on_edge in edges.items():
                    if on_edge:
                        assert getattr(border, side).style == "thin", (cell.text, r, c, side)
    # The long goals of row 9 wrap to many lines; the row is at least as tall as a plain
    # estimate of those lines (every character one em of 10.5 pt, lines of 1.2 em).
    goal = next(c for c in sheet.cells if c.row == 8 and c.col == 1)
    width_mm = sum(sheet.column_widths_mm()[1:3]) - 3
    lines = math.ceil(len(goal.text) * 10.5 / 72 * 25.4 / width_mm)
    assert lines > 5 and ws.row_dimensions[top + 8].height >= lines * 10.5 * 1.2


def test_xlsx_rows_are_as_tall_as_the_pdf_prints_them_or_as_excel_needs(fidelity_build):
    """Each XLSX row is as tall as the PDF prints it (the plan's row), or as its planned lines need in
    the tallest common Song face (Excel sets no line pitch), rounded up to Excel's whole pixels; and
    every page's rows fit the page at the print scale."""
    from weasyprint.formatting_structure import boxes

    from formgen.writers import pdf

    job, sheet = job_named(fidelity_build, LONG_FORM, "自评表")
    document = pdf.layout(sheet)
    printed: dict[int, list[float]] = {}
    for page in document.pages:
        for box in page._page_box.descendants():  # noqa: SLF001
            if isinstance(box, boxes.TableRowBox) and "repeat" not in (box.element.get("class") or ""):
                printed.setdefault(int(box.element.get("data-row")), []).append(box.height * 0.75)
    path = job.stem.with_suffix(".xlsx")
    ws = openpyxl.load_workbook(path).active
    top = len(sheet.headings) + 1
    starts = xlsx_row_starts(path, top) + [ws.max_row + 1]
    line = float(sheet.font_size_pt) * 1.44  # Noto Serif CJK's lines, 1.437 em
    needed = sheet.row_heights(lambda c: max(sheet.metrics.cell_height(c.lines), c.lines * line + 4))
    assert len(starts) == sheet.row_count + 1 and len(printed) > 50
    for row, [height] in printed.items():
        written = sum(ws.row_dimensions[r].height for r in range(starts[row], starts[row + 1]))
        assert height - 0.01 <= needed[row] - 0.01 <= written <= needed[row] + 0.75, (row, height, written)
    pages = [0, *sheet.page_starts, sheet.row_count]
    tallest = max(sum(ws.row_dimensions[r].height for r in range(starts[a] if a else 1, starts[b]))
                  + (sum(ws.row_dimensions[r].height for r in range(starts[min(sheet.repeat_rows)], starts[max(sheet.repeat_rows) + 1])) if a else 0)
                  for a, b in zip(pages, pages[1:]))
    assert tallest * ws.page_setup.scale / 100 <= (210 - 30) / 25.4 * 72


def test_pdf_holds_every_text_in_an_embedded_song_face(fidelity_build):
    for job, sheet in jobs(fidelity_build):
        path = job.stem.with_suffix(".pdf")
        text = pdf_text(path, sheet.name)
        for cell in sheet.cells:
            for para in cell.paragraphs:
                assert re.sub(r"\s+", "", para) in text, (path.name, para)
        fonts = {name.replace("-", "") for name in pdf_fonts(path)}
        assert any(face in name for name in fonts for face in ("formgenSong", "SerifCJK", "SimSun")), fonts
        page = PdfReader(path).pages[0]
        size = (595, 842) if sheet.orientation == "portrait" else (842, 595)
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == size


def test_pdf_repeats_the_indicator_header_on_each_page(fidelity_build):
    job, sheet = job_named(fidelity_build, LONG_FORM)
    reader = PdfReader(job.stem.with_suffix(".pdf"))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert "三级指标" in page.extract_text()


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "pdf"])
def test_title_is_bold(fidelity_build, fmt):
    job, _ = job_named(fidelity_build, SHORT_FORM)
    path = job.stem.with_suffix(f".{fmt}")
    if fmt == "docx":
        import docx

        run = docx.Document(path).paragraphs[0].runs[0]
        assert run.bold and run.text == "财政项目支出绩效目标申报表"
    elif fmt == "xlsx":
        assert openpyxl.load_workbook(path).active["A1"].font.b
    else:
        assert any("Bold" in name for name in pdf_fonts(path))


def test_self_evaluation_is_landscape_in_every_format(fidelity_build):
    import docx

    job, sheet = job_named(fidelity_build, "行政复议受理和行政诉讼应诉工作", "自评表")
    assert sheet.orientation == "landscape"
    section = docx.Document(job.stem.with_suffix(".docx")).sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (297, 210)
    assert openpyxl.load_workbook(job.stem.with_suffix(".xlsx")).active.page_setup.orientation == "landscape"
    page = PdfReader(job.stem.with_suffix(".pdf")).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    text = pdf_text(job.stem.with_suffix(".pdf"))
    assert "总分100.0094.68" in text and "评分等级优" in text


def test_long_self_evaluation_repeats_its_header(fidelity_build):
    job, _ = job_named(fidelity_build, LONG_FORM, "自评表")
    pages = [page.extract_text() for page in PdfReader(job.stem.with_suffix(".pdf")).pages]
    first = next(i for i, text in enumerate(pages) if "偏差原因分析及改进措施" in text)
    assert len(pages) - first >= 3  # the indicator table runs over several pages…
    assert all("偏差原因分析及改进措施" in text for text in pages[first:])  # …each with its header


def test_a_merged_label_cut_by_a_page_break_is_printed_again(fidelity_build):
    job, sheet = job_named(fidelity_build, LONG_FORM)
    pages = [page.extract_text() for page in PdfReader(job.stem.with_suffix(".pdf")).pages]
    # 产出指标 and its 数量指标 run from page 1 onto page 2: page 2 names both again.
    assert "产出指标" in pages[1] and "数量指标" in pages[1] and "绩效指标" in pages[1]
    assert pages[0].count("产出指标") == 1


def test_pdf_prints_every_row_in_order_on_a4_pages_that_all_carry_ink(fidelity_build, tmp_path):
    from PIL import Image, ImageOps

    for job, sheet in jobs(fidelity_build):
        path = job.stem.with_suffix(".pdf")
        text, position = pdf_text(path, sheet.name), 0
        for row in range(sheet.row_count):  # the one-row cells of each row, left to right, row after row
            for cell in sorted((c for c in sheet.cells if c.row == row and c.rowspan == 1), key=lambda c: c.col):
                for para in cell.paragraphs:
                    needle = re.sub(r"\s+", "", para)
                    found = text.find(needle, position)
                    assert found >= 0, (path.name, row, cell.col, para)
                    position = found + len(needle)
        size = (595, 842) if sheet.orientation == "portrait" else (842, 595)
        pages = PdfReader(path).pages
        assert all((round(float(p.mediabox.width)), round(float(p.mediabox.height))) == size for p in pages)
        images = pdf_page_images(path, tmp_path / path.stem)
        assert len(images) == len(pages)
        for image in images:  # rendered, each page shows lines and text, not a blank sheet
            ink = ImageOps.invert(Image.open(image).convert("L")).getbbox()
            assert ink is not None and ink[2] - ink[0] > 300, (path.name, image.name)


def test_every_page_of_every_format_carries_the_running_footer(fidelity_build):
    import docx
    from docx.oxml.ns import qn

    for job, sheet in jobs(fidelity_build):
        pages = [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(job.stem.with_suffix(".pdf")).pages]
        name = re.sub(r"\s+", "", sheet.name)
        for number, text in enumerate(pages, 1):
            assert text.endswith(f"{name}第{number}页共{len(pages)}页"), (job.name, number)
        footer = docx.Document(job.stem.with_suffix(".docx")).sections[0].footer._element
        assert sheet.name in "".join(t.text for t in footer.iter(qn("w:t")))
        assert [f.get(qn("w:instr")).strip() for f in footer.iter(qn("w:fldSimple"))] == ["PAGE", "NUMPAGES"]
        ws = openpyxl.load_workbook(job.stem.with_suffix(".xlsx")).active
        assert ws.oddFooter.center.text == f"{sheet.name}　　第 &P 页 共 &N 页"


def test_no_pdf_page_ends_on_a_section_header_or_leaves_the_last_rows_alone(fidelity_build):
    from formgen.writers import pdf

    for job, sheet in jobs(fidelity_build):
        pages = pdf._rows_per_page(pdf.layout(sheet))  # noqa: SLF001
        for this in pages[:-1]:  # a row split over the break counts on both pages, so it is this page's last
            assert max(this) not in sheet.keep_rows, (job.name, max(this))


def test_documents_say_what_they_are_and_texts_stay_text(fidelity_build):
    import docx

    job, sheet = job_named(fidelity_build, SHORT_FORM)
    properties = docx.Document(job.stem.with_suffix(".docx")).core_properties
    assert (properties.title, properties.author) == ("课题研究", "上海市城市管理行政执法局")
    assert properties.created.year >= 2026
    workbook = openpyxl.load_workbook(job.stem.with_suffix(".xlsx"))
    assert (workbook.properties.title, workbook.properties.creator) == ("课题研究", "上海市城市管理行政执法局")
    formula_like = [c for row in workbook.active.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert formula_like and all(c.quotePrefix and c.data_type == "s" for c in formula_like)


def test_compilation_titles_break_between_words_and_the_index_prints_on_one_page_wide(fidelity_build):
    from formgen.layout import Compilation

    assert Compilation("上海市城市管理行政执法局2023年度项目绩效目标汇总表", []).title_lines == [
        "上海市城市管理行政执法局", "2023年度项目绩效目标汇总表"]
    assert Compilation("某局汇总表", []).title_lines == ["某局汇总表"]
    for path in (p for p in fidelity_build.compilations if p.suffix == ".xlsx"):
        index = openpyxl.load_workbook(path)["目录"]
        assert index.sheet_properties.pageSetUpPr.fitToPage and index.page_setup.fitToWidth == 1
        assert int(index.page_setup.paperSize) == 9


def test_no_label_wraps_one_character_alone_onto_its_last_line(fidelity_build):
    # Column widths are chosen so that "其中：当年财政拨/款", "服务对象满意度指/标" and the like do
    # not happen (scripts/orphan-lines.py counts it over every sample: 175 cells before, 23 after).
    from readback import cell_lines

    for job, sheet in jobs(fidelity_build):
        for tag, lines in cell_lines(sheet):
            short = len("".join(lines)) <= 10
            if tag == "th" or short:
                assert not (len(lines) >= 2 and len(lines[-1].strip()) == 1), (job.name, lines)


def test_a_sheet_nothing_planned_is_left_to_the_office_suite(tmp_path):
    """Without Pango there is no plan (``writers.paginate``): the XLSX prints one page wide with rows
    estimated without a font, the DOCX sets no row heights, and each suite breaks the pages itself."""
    import docx
    from docx.oxml.ns import qn
    from conftest import SAMPLES

    from formgen.layout import Layouts
    from formgen.workspace import check
    from formgen.writers import docx as docx_writer
    from formgen.writers import xlsx as xlsx_writer

    [job] = check([SAMPLES / "上海市城市管理行政执法局-2023" / "城管执法社会宣传.yaml"]).done
    sheet = Layouts().sheet(job.loaded.project)
    xlsx_writer.write(sheet, tmp_path / "form.xlsx")
    docx_writer.write(sheet, tmp_path / "form.docx")
    ws = openpyxl.load_workbook(tmp_path / "form.xlsx").active
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1 and not ws.row_breaks.brk
    assert all(ws.row_dimensions[r].height >= 20 for r in range(len(sheet.headings) + 1, ws.max_row + 1))
    body = docx.Document(tmp_path / "form.docx").element.body
    assert not list(body.iter(qn("w:trHeight")))
