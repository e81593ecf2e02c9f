"""The measured page plan (writers/plan.py) against WeasyPrint's own layout of the same sheets."""

import random
from dataclasses import replace

import pytest
from conftest import SAMPLES

from formgen.layout import Layouts
from formgen.layout.sheet import Cell
from formgen.workspace import check
from formgen.writers import pdf, plan

SHEETS = [Layouts().sheet(job.loaded.project) for job in check([SAMPLES]).done]
# The two samples whose long goals run over a page break inside their row: WeasyPrint splits the
# row there, which the measure does not model, so they are laid out instead.
SPLIT_OVER_PAGES = {"城管执法监督考核辅助工作", "城管执法社会宣传"}


def laid_out_starts(sheet) -> set[int]:
    return pdf._page_starts(pdf.layout(sheet))  # noqa: SLF001


def test_every_sample_is_planned_where_weasyprint_breaks_its_pages():
    unplanned, wrong = set(), []
    for sheet in SHEETS:
        starts = plan.page_starts(sheet)
        if starts is None:
            unplanned.add(sheet.name)
        elif set(starts) != laid_out_starts(sheet.split_at(starts)):  # the PDF of the cut sheet
            wrong.append(sheet.name)
    assert wrong == [] and unplanned == SPLIT_OVER_PAGES
    assert sum(1 for sheet in SHEETS if plan.page_starts(sheet)) >= 20  # many run over pages


def test_a_form_the_measure_cannot_plan_is_laid_out_instead():
    [sheet] = [s for s in SHEETS if s.name == "城管执法社会宣传" and len(s.column_widths) > 6]
    assert plan.paginate(sheet, keep_layout=False).page_starts == (15, 32, 48)


def test_texts_wrap_as_weasyprint_wraps_them():
    """Line counts against the lines WeasyPrint lays out, for the texts that are hard to break:
    digits and signs with no break opportunity, a long Latin word, full-width signs, paragraphs."""
    texts = ["=104500.00(份)", "≥31000.00(件)", "A" * 40, "＞90.00(百分比)", "Lorem ipsum dolor sit amet, consectetur",
             "施工期间噪音扰民网络有责投诉数", "第一段\n第二段，长一些的一段文字，会折成好几行", ""]
    base = next(s for s in SHEETS if s.name == "课题研究")
    for width in (10, 15, 25):
        sheet = replace(base, column_widths=[width, 100 - width], row_count=len(texts), repeat_rows=(), keep_rows=(),
                        cells=[cell for row, text in enumerate(texts) for cell in (
                            Cell(row, 0, text.split("\n")), Cell(row, 1, ["值"]))])
        assert plan.page_starts(sheet) == ()  # one page: every cell below is whole
        measured = plan.cell_lines(sheet)
        assert [measured[id(c)] for c in sheet.cells] == printed_lines(sheet)


def printed_lines(sheet) -> list[int]:
    """The lines of text in each cell of the sheet's PDF layout, in reading order."""
    from weasyprint.formatting_structure import boxes

    page = pdf.layout(sheet).pages[0]._page_box  # noqa: SLF001
    return [sum(1 for line in box.descendants() if isinstance(line, boxes.LineBox) and line.children)
            for box in page.descendants() if isinstance(box, boxes.TableCellBox)]


@pytest.mark.parametrize("seed", range(3))
def test_edited_forms_are_planned_where_weasyprint_breaks_them(seed):
    """Samples with texts made longer, paragraphs added and titles doubled: whatever the measure
    plans, the PDF of the cut sheet starts its pages there."""
    rnd = random.Random(seed)
    words = ["数量指标", "≥100(%)", "Lorem ipsum dolor", "完成率＞90.00(百分比)", "2023年度", "资金使用合规性，严格按照预算执行。"]
    planned = 0
    for sheet in rnd.sample(SHEETS, 12):
        cells = [replace(c, paragraphs=[" ".join(rnd.choices(words, k=rnd.randint(1, 5))) for _ in range(rnd.randint(1, 3))])
                 if not c.is_label and rnd.random() < 0.15 else c for c in sheet.cells]
        headings = [replace(h, text=h.text * rnd.randint(1, 4)) for h in sheet.headings]
        edited = replace(sheet, cells=cells, headings=headings)
        starts = plan.page_starts(edited)
        if starts is not None:
            planned += 1
            assert set(starts) == laid_out_starts(edited.split_at(starts)), edited.name
    assert planned >= 6


def test_the_plan_follows_a_units_own_stylesheet():
    """Bigger type and padding in a unit's form.css: the geometry is read from the stylesheet."""
    sheet = next(s for s in SHEETS if s.name == "城管执法应急保障" and len(s.column_widths) > 6)
    custom = replace(sheet, stylesheet=sheet.stylesheet + "\narticle.form { font-size: 12pt; }\nth, td { padding: 2mm 2mm; }")
    starts = plan.page_starts(custom)
    assert starts != plan.page_starts(sheet)
    assert set(starts) == laid_out_starts(custom.split_at(starts))
