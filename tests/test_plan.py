"""The measured page plan (writers/plan.py) against WeasyPrint's own layout of the same sheets, and
the office suites' lines it leaves room for (writers/measure.py)."""

import random
from dataclasses import replace

import pytest
from conftest import SAMPLES
from readback import cell_lines

from formgen.layout import Layouts
from formgen.layout.sheet import Cell, Metrics, joined
from formgen.workspace import check
from formgen.writers import measure, pdf, plan

SHEETS = [Layouts().sheet(job.loaded.project) for job in check([SAMPLES]).done]


def laid_out_starts(sheet) -> set[int]:
    return pdf._page_starts(pdf.layout(sheet))  # noqa: SLF001


def printed_row_heights(document) -> dict[int, float]:
    """Each grid row's height in the PDF, in points (the repeated header left out)."""
    from weasyprint.formatting_structure import boxes

    return {int(box.element.get("data-row")): box.height * 0.75 for page in document.pages
            for box in page._page_box.descendants()  # noqa: SLF001
            if isinstance(box, boxes.TableRowBox) and "repeat" not in (box.element.get("class") or "")}


def test_every_sample_is_printed_as_planned_and_no_line_starts_with_closing_punctuation():
    """The PDF of each planned sheet breaks its pages where planned, prints every row as tall as
    planned (the height DOCX and XLSX give it), and breaks lines as a typesetter would."""
    wrong, badly_broken = [], []
    for sheet in SHEETS:
        planned = plan.plan(sheet)
        document = pdf.layout(planned)
        if set(planned.page_starts) != pdf._page_starts(document) or planned.page_count != len(document.pages):  # noqa: SLF001
            wrong.append(sheet.name)
        heights = planned.row_heights(lambda c: planned.metrics.cell_height(c.lines))
        printed = printed_row_heights(document)
        assert all(abs(printed[row] - heights[row]) < 0.01 for row in printed), sheet.name
        for _, lines in cell_lines(planned, document):
            badly_broken += [(before, line) for before, line in zip(lines, lines[1:])
                             if line[:1] in measure.CLOSING or before[-1:] in measure.OPENING]
    assert wrong == [] and badly_broken == []
    assert sum(1 for sheet in SHEETS if plan.plan(sheet).page_starts) >= 20  # many run over pages


def test_long_goals_are_cut_at_the_last_line_that_fits_and_go_on_under_their_labels():
    """The goals of these two 自评表 fill more than a page: the row is cut at the last line that fits,
    and the rest opens the next page under 年度总体目标, 预期目标 and 实际完成情况 again; put together,
    the texts are what was written."""
    for name, expected in (("城管执法监督考核辅助工作", ((9, 23, 39, 58), 5)), ("城管执法社会宣传", ((9, 14, 31, 47), 5))):
        [sheet] = [s for s in SHEETS if s.name == name and s.orientation == "landscape"]
        planned = plan.plan(sheet)
        assert (planned.page_starts, planned.page_count) == expected
        goals = next(c.row for c in sheet.cells if c.text == "预期目标") + 1
        assert planned.row_count == sheet.row_count + 2  # the header of the goals again, and the rest
        heads, rests = ([c for c in planned.cells if c.row == row] for row in (goals, goals + 2))
        assert [c.text for c in planned.cells if c.row == goals + 1] == ["年度总体目标", "预期目标", "实际完成情况"]
        assert planned.page_starts[0] == goals + 1
        printed = plan.pdf_lines(planned)
        for original in (c for c in sheet.cells if c.row == goals):
            head = next(c for c in heads if c.col == original.col)
            rest = next(c for c in rests if c.col == original.col)
            assert joined(head.text, rest.text) == original.text if rest.paragraphs else head.text == original.text
            assert all(lines >= 2 for cell in (head, rest) if cell.paragraphs
                       for lines in printed[id(cell)][-1:] + printed[id(cell)][:1])  # two lines at least on either side


def test_a_last_page_holding_one_indicator_row_takes_one_more():
    """Three forms whose last page would hold a single indicator row (a 自评表's with 总分 and 评分等级)."""
    moved = 0
    for sheet in SHEETS:
        planned = plan.plan(sheet)
        if planned.page_count < 2:
            continue
        last = planned.page_starts[-1]
        assert any(row not in planned.keep_rows for row in range(last, planned.row_count - 1)), sheet.name
        geometry = plan._geometry(sheet.stylesheet, sheet.orientation)  # noqa: SLF001
        natural = plan._place_rows(planned.split_at(planned.page_starts), geometry)  # noqa: SLF001
        moved += natural[0] != planned.page_starts
    assert moved >= 1


def test_a_form_the_measure_cannot_plan_is_laid_out_instead():
    """A long 偏差原因 runs over a page below the repeated header: not modelled, so WeasyPrint
    lays the form out and its pages are what it prints."""
    sheet = next(s for s in SHEETS if s.name == "城管执法应急保障" and s.orientation == "landscape")
    row = max(sheet.repeat_rows) + 3
    last = max((c for c in sheet.cells if c.row == row), key=lambda c: c.col)
    reason = ["偏差原因：" + "受天气和场地影响，部分活动延期举办，已调整计划并在下半年补足。" * 6] * 8
    long = replace(sheet, cells=[replace(c, paragraphs=reason) if c is last else c for c in sheet.cells])
    assert row in measure.splittable_rows(long) and plan.plan(long) is None
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
        assert plan.plan(sheet).page_starts == ()  # one page: every cell below is whole
        measured = plan.pdf_lines(sheet)
        assert [sum(measured[id(c)]) for c in sheet.cells] == [len(lines) for _, lines in cell_lines(sheet)]


def test_a_value_too_wide_for_its_cell_breaks_before_its_unit():
    """``≥31000.00(件)`` is one word to a line breaker: in a cell too narrow for it, it breaks before
    its unit, never before the closing bracket; where it fits, it stays whole."""
    base = next(s for s in SHEETS if s.name == "课题研究")
    for width, expected in ((14, [["≥31000.00", "(件)"]]), (25, [["≥31000.00(件)"]])):
        sheet = replace(base, column_widths=[width, 100 - width], row_count=1, repeat_rows=(), keep_rows=(),
                        cells=[Cell(0, 0, ["≥31000.00(件)"], align="center"), Cell(0, 1, ["值"])])
        assert [lines for tag, lines in cell_lines(sheet)][:1] == expected
    assert pdf.printed("≥31000.00(件)") == "≥31000.00\u200b(件)" and pdf.printed("完成率≥95(%)") == "完成率≥95(%)"


def test_office_lines_leave_room_for_the_widest_song_face_and_follow_kinsoku():
    em = 14  # 10.5 pt in px
    assert measure.office_lines("测" * 10, 10 * em, em) == 1
    assert measure.office_lines("测" * 9 + "，", 9 * em, em) == 2  # the comma takes the character before it along
    assert measure.office_lines("（" + "测" * 9, 9.5 * em, em) == 2  # an opening bracket goes with what follows
    assert measure.office_lines("≥31000.00(件)", 8 * em, em) == 1  # digits 0.64 em (DejaVu Sans), signs of Song faces
    assert measure.office_lines("≥31000.00(件)", 7.5 * em, em) == 2
    assert measure.office_lines("“城管进社区”", 6.9 * em, em) == 2  # quotes a full em (SimSun, UMing)
    assert measure.office_lines("abc defgh", 4 * em, em) == 2  # Latin words break at spaces only
    assert measure.office_lines("A" * 30, 10 * em, em) == 3  # a word longer than a line breaks anywhere
    assert measure.office_lines("", 10 * em, em) == 1  # an empty paragraph is a line in Word and Excel


def test_planned_lines_are_never_fewer_than_the_pdfs_or_an_office_suites():
    for sheet in SHEETS[:20]:
        planned, printed = plan.planned_lines(sheet), plan.pdf_lines(sheet)
        for cell in sheet.cells:
            assert all(p >= q for p, q in zip(planned[id(cell)], printed[id(cell)]))


def test_the_default_metrics_are_what_the_plan_measures_in_form_css():
    measured = plan._geometry(SHEETS[0].stylesheet, "portrait").metrics  # noqa: SLF001
    default = Metrics()
    assert measured.line == pytest.approx(default.line, abs=0.001)
    assert measured.padding == pytest.approx(default.padding, abs=0.001)
    assert measured.rule == pytest.approx(default.rule, abs=0.001)
    for (kind, line, margins), (kind_, line_, margins_) in zip(measured.headings, default.headings):
        assert (kind, line, margins) == (kind_, pytest.approx(line_, abs=0.01), pytest.approx(margins_, abs=0.01))


@pytest.mark.parametrize("seed", range(3))
def test_edited_forms_are_planned_where_weasyprint_breaks_them(seed):
    """Samples with texts made longer, paragraphs added and titles doubled: whatever the measure
    plans, the PDF of the planned sheet starts its pages there."""
    rnd = random.Random(seed)
    words = ["数量指标", "≥100(%)", "Lorem ipsum dolor", "完成率＞90.00(百分比)", "2023年度", "资金使用合规性，严格按照预算执行。"]
    planned_forms = 0
    for sheet in rnd.sample(SHEETS, 12):
        cells = [replace(c, paragraphs=[" ".join(rnd.choices(words, k=rnd.randint(1, 5))) for _ in range(rnd.randint(1, 3))])
                 if not c.is_label and rnd.random() < 0.15 else c for c in sheet.cells]
        headings = [replace(h, text=h.text * rnd.randint(1, 4)) for h in sheet.headings]
        planned = plan.plan(replace(sheet, cells=cells, headings=headings))
        if planned is not None:
            planned_forms += 1
            document = pdf.layout(planned)
            assert set(planned.page_starts) == pdf._page_starts(document), sheet.name  # noqa: SLF001
            assert planned.page_count == len(document.pages)
    assert planned_forms >= 6


def test_the_plan_follows_a_units_own_stylesheet():
    """Bigger type and padding in a unit's form.css: the geometry is read from the stylesheet."""
    sheet = next(s for s in SHEETS if s.name == "城管执法应急保障" and len(s.column_widths) > 6)
    custom = replace(sheet, stylesheet=sheet.stylesheet + "\narticle.form { font-size: 12pt; }\nth, td { padding: 2mm 2mm; }")
    planned = plan.plan(custom)
    assert planned.page_starts != plan.plan(sheet).page_starts
    assert set(planned.page_starts) == laid_out_starts(planned)
    assert planned.metrics.padding == pytest.approx((5.669, 5.669), abs=0.001)
