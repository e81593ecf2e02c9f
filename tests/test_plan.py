"""The measured page plan (writers/plan.py) against WeasyPrint's own layout of the same sheets."""

import random
from dataclasses import replace

import pytest
from conftest import SAMPLES
from readback import cell_lines

from formgen.layout import Layouts
from formgen.layout.sheet import Cell
from formgen.workspace import check
from formgen.writers import pdf, plan

SHEETS = [Layouts().sheet(job.loaded.project) for job in check([SAMPLES]).done]


def laid_out_starts(sheet) -> set[int]:
    return pdf._page_starts(pdf.layout(sheet))  # noqa: SLF001


def test_every_sample_is_planned_where_weasyprint_breaks_its_pages():
    wrong = []
    for sheet in SHEETS:
        starts, count = plan.plan_pages(sheet)
        document = pdf.layout(sheet.split_at(starts))  # the PDF of the cut sheet
        if set(starts) != pdf._page_starts(document) or count != len(document.pages):  # noqa: SLF001
            wrong.append(sheet.name)
    assert wrong == []
    assert sum(1 for sheet in SHEETS if plan.page_starts(sheet)) >= 20  # many run over pages


def test_a_row_of_long_goals_runs_on_at_the_top_of_the_next_page():
    """The goals of these two 自评表 fill more than a page: WeasyPrint splits the row, each of its
    paragraphs keeping two lines on either side, and the pages after start where it says."""
    for name, expected in (("城管执法监督考核辅助工作", ((23, 38, 58), 5)), ("城管执法社会宣传", ((15, 32, 48), 5))):
        [sheet] = [s for s in SHEETS if s.name == name and s.orientation == "landscape"]
        assert plan.plan_pages(sheet) == expected


def test_a_form_the_measure_cannot_plan_is_laid_out_instead():
    """A long 偏差原因 runs over a page below the repeated header: not modelled, so WeasyPrint
    lays the form out and its pages are what it prints."""
    sheet = next(s for s in SHEETS if s.name == "城管执法应急保障" and s.orientation == "landscape")
    row = max(sheet.repeat_rows) + 3
    last = max((c for c in sheet.cells if c.row == row), key=lambda c: c.col)
    reason = ["偏差原因：" + "受天气和场地影响，部分活动延期举办，已调整计划并在下半年补足。" * 6] * 8
    long = replace(sheet, cells=[replace(c, paragraphs=reason) if c is last else c for c in sheet.cells])
    assert row in plan.splittable_rows(long) and plan.plan_pages(long) is None
    paginated = plan.paginate(long, keep_layout=False)
    document = pdf.layout(long)
    assert set(paginated.page_starts) == pdf._page_starts(document)  # noqa: SLF001
    assert paginated.page_count == len(document.pages) > 1


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
        measured = plan.paragraph_lines(sheet)
        assert [sum(measured[id(c)]) for c in sheet.cells] == [len(lines) for _, lines in cell_lines(sheet)]


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
