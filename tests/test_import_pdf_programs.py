"""PDFs of forms formgen did not draw: forms written by hand as HTML in the published layout and
printed by Chromium, and formgen's DOCX laid out by LibreOffice. Other widths, other fonts,
rules drawn as filled rectangles or thin lines, paddings unlike formgen's.

What such a PDF holds is read exactly; what it does not hold for certain (whether a line ended its
paragraph, where the program's widths are known only within bounds) is reported with its page
and cell, never guessed.
"""

import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from html import escape

import pypdfium2
import pytest
from test_import import comparable
from test_import_formats import _convert, _originals

from formgen.commands.importing import import_files
from formgen.layout.layouts import paragraphs
from formgen.workspace import check

CHROMIUM = "/usr/bin/chromium"

# Not formgen's look: a Hei face at 9.5 pt, other column widths and paddings, rules as Chromium
# draws a 1px border (filled rectangles snapped to device pixels).
_CSS = """
@page { size: A4 ORIENTATION; margin: 18mm 15mm 20mm 15mm; }
body { font-family: "Noto Sans CJK SC"; font-size: 9.5pt; }
h1 { font-size: 17pt; text-align: center; margin: 0 0 4pt; }
.year { text-align: center; margin: 0 0 8pt; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 1px solid #000; padding: 3pt 4pt; font-weight: normal; text-align: center; vertical-align: middle; }
td.text { text-align: left; }
td.money { text-align: right; }
td p { margin: 0; }
"""


def _text(value) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs(value)) if value else ""


def _number(value) -> str:
    return "" if value is None else f"{value:,.2f}"


def _wan(value) -> str:
    return "" if value is None else f"{(value / 10000).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


def _indicator_rows(tree, cells) -> list[str]:
    """The indicator rows, 一级 and 二级 merged over theirs; ``cells(name, value)`` the rest of a row."""
    rows = []
    for level1, groups in tree.items():
        span = sum(len(items) for items in groups.values())
        for index2, (level2, items) in enumerate(groups.items()):
            for index3, (name, value) in enumerate(items.items()):
                first = f'<td rowspan="{span}">{_text(level1)}</td>' if index2 == index3 == 0 else ""
                second = f'<td rowspan="{len(items)}">{_text(level2)}</td>' if index3 == 0 else ""
                rows.append(f"<tr>{first}{second}{cells(name, value)}</tr>")
    return rows


def _declaration(p) -> str:
    """A 申报表 as the published PDFs lay it out (FORMS.md §1)."""
    f = p.funding
    rows = _indicator_rows(p.indicators, lambda name, value:
                           f'<td colspan="2" class="text">{_text(name)}</td><td>{escape(value)}</td>')
    period = f" ({p.period[0]}年-{p.period[1]}年)" if p.period else ""
    return f"""<h1>财政项目支出绩效目标申报表</h1><p class="year">({p.year}年度)</p>
<table><colgroup><col style="width:9%"><col style="width:16%"><col style="width:22%"><col style="width:20%">
<col style="width:15%"><col style="width:18%"></colgroup>
<tr><th>项目名称</th><td>{_text(p.name)}</td><th>项目性质</th><td>{_text(p.nature)}</td><th>项目类别</th><td>{_text(p.category)}</td></tr>
<tr><th>主管部门</th><td>{_text(p.department)}</td><th>实施单位</th><td colspan="3">{_text(p.implementer)}</td></tr>
<tr><th>计划开始日期</th><td>{p.start}</td><th>计划完成日期</th><td colspan="3">{p.end}</td></tr>
<tr><th rowspan="4">项目资金（元）</th><th>项目资金总额</th><td class="money">{_number(f.total)}</td>
<th>年度资金申请总额</th><td colspan="2" class="money">{_number(f.annual_total)}</td></tr>
<tr><th rowspan="2">其中：财政资金</th><td rowspan="2" class="money">{_number(f.fiscal)}</td>
<th>其中：当年财政拨款</th><td colspan="2" class="money">{_number(f.annual_appropriation)}</td></tr>
<tr><th>上年结转资金</th><td colspan="2" class="money">{_number(f.carried_over)}</td></tr>
<tr><th>其他资金</th><td class="money">{_number(f.other)}</td><th>其他资金</th><td colspan="2" class="money">{_number(f.annual_other)}</td></tr>
<tr><th rowspan="2">项目绩效目标</th><th colspan="2">项目总目标{period}</th><th colspan="3">年度总体目标</th></tr>
<tr><td colspan="2" class="text">{_text(p.overall_goal)}</td><td colspan="3" class="text">{_text(p.annual_goal)}</td></tr>
<tr><th rowspan="{len(rows) + 1}">绩效指标</th><th>一级指标</th><th>二级指标</th><th colspan="2">三级指标</th><th>年度(/项目)指标值</th></tr>
{"".join(rows)}
</table>"""


def _self_evaluation(p) -> str:
    """A 自评表 as the published PDFs lay it out (FORMS.md §2), landscape."""
    f = p.funding
    rows = _indicator_rows(p.indicators, lambda name, e:
                           f'<td class="text">{_text(name)}</td><td>{escape(e.target)}</td><td>{escape(e.actual)}</td>'
                           f'<td>{_number(e.weight)}</td><td>{_number(e.score)}</td><td class="text">{_text(e.reason)}</td>')
    funding = []
    for index, (label, line) in enumerate((("年度资金总额:", f.total), ("其中：当年财政拨款", f.appropriation),
                                           ("上年结转资金", f.carried_over), ("其他资金", f.other))):
        figures = (f"<td>{_number(p.budget_weight)}</td><td>{_number(line.rate)}</td><td>{_number(p.budget_score)}</td>"
                   if index == 0 else f"<td>-</td><td>{_number(line.rate)}</td><td>-</td>")
        funding.append(f'<tr><th>{label}</th><td class="money">{_wan(line.initial)}</td><td class="money">{_wan(line.annual)}</td>'
                       f'<td class="money">{_wan(line.executed)}</td>{figures}</tr>')
    return f"""<h1>财政项目支出绩效自评表</h1><p class="year">({p.year}年度)</p>
<table><colgroup><col style="width:8%"><col style="width:13%"><col style="width:19%"><col style="width:11%">
<col style="width:11%"><col style="width:8%"><col style="width:8%"><col style="width:22%"></colgroup>
<tr><th colspan="2">项目名称</th><td colspan="6">{_text(p.name)}</td></tr>
<tr><th colspan="2">主管部门</th><td colspan="2">{_text(p.department)}</td><th colspan="2">实施单位</th><td colspan="2">{_text(p.implementer)}</td></tr>
<tr><th rowspan="5">项目资金（万元）</th><th></th><th>年初预算数</th><th>全年预算数</th><th>全年执行数</th><th>分数</th><th>执行率(%)</th><th>得分</th></tr>
{"".join(funding)}
<tr><th rowspan="2">年度总体目标</th><th colspan="3">预期目标</th><th colspan="4">实际完成情况</th></tr>
<tr><td colspan="3" class="text">{_text(p.goals.expected)}</td><td colspan="4" class="text">{_text(p.goals.achieved)}</td></tr>
<tr><th>一级指标</th><th>二级指标</th><th>三级指标</th><th>年度指标值</th><th>实际完成值</th><th>分值</th><th>得分</th><th>偏差原因分析及改进措施</th></tr>
{"".join(rows)}
<tr><th colspan="5">总分</th><td>{_number(p.total_weight)}</td><td>{_number(p.total_score)}</td><td></td></tr>
<tr><th colspan="2">评分等级</th><td colspan="6">{p.grade or ""}</td></tr>
</table>"""


def _printed_by_chromium(project, folder, name, tagged=True):
    """The project written by hand in the published layout, printed to PDF by headless Chromium
    (tagged, as Chromium prints by default, or not)."""
    if not shutil.which(CHROMIUM):
        pytest.fail("Chromium 未安装：运行 scripts/setup-system.sh --office")
    body, orientation = (_declaration(project), "portrait") if project.form == "申报表" else \
        (_self_evaluation(project), "landscape")
    page = folder / f"{name}.html"
    page.write_text(f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>{_CSS.replace("ORIENTATION", orientation)}'
                    f'</style></head><body>{body}</body></html>', encoding="utf-8")
    pdf = folder / f"{name}.pdf"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={folder / 'profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", *([] if tagged else ["--disable-pdf-tagging"]),
                    page.as_uri()], capture_output=True, timeout=180, check=True)
    return pdf


# A 申报表 whose indicator hierarchy runs over three pages (一级 and 二级 cells cut by the pages,
# their text on the first part only), and a 自评表 whose reasons fill a cell to a hair in formgen's
# own layout, with goals of several paragraphs.
_PRINTED = [("城管执法社会宣传", "申报表"), ("依法行政辅助工作服务", "自评表")]


@pytest.mark.browser
def test_forms_written_by_hand_and_printed_by_chromium_import_exactly(tmp_path):
    originals = _originals()
    for index, key in enumerate(_PRINTED):
        pdf = _printed_by_chromium(originals[key], tmp_path, f"form{index}")
        if key[1] == "申报表":
            assert len(pypdfium2.PdfDocument(str(pdf))) >= 2  # the hierarchy runs over pages
        [result] = import_files([pdf], tmp_path / f"out{index}")
        assert result.problems == [], result.problems
        assert comparable(check([result.written]).done[0].loaded.project) == comparable(originals[key]), key


@pytest.mark.browser
def test_untagged_chromium_pdfs_are_read_or_reported_never_guessed(tmp_path):
    """Without tags, a paragraph's end can be told from a wrap by width alone, and Chromium's
    widths are known only within bounds (it snaps rules to device pixels): what they cannot
    decide is reported with its page and cell, nothing read is wrong. In these two forms the
    undecided breaks are all in labels (项目名|称), which read the same either way."""
    originals, exact = _originals(), []
    for index, key in enumerate(_PRINTED):
        [result] = import_files([_printed_by_chromium(originals[key], tmp_path, f"form{index}", tagged=False)],
                                tmp_path / f"out{index}")
        if result.written is None:
            assert result.problems and all("第 " in p and " 页 表格第 " in p and "无法确定" in p
                                           for p in result.problems), result.problems
        else:
            assert comparable(check([result.written]).done[0].loaded.project) == comparable(originals[key]), key
            exact.append(key)
    assert exact == _PRINTED  # their labels' line breaks are left open, and do not matter


@pytest.mark.office
def test_pdfs_laid_out_by_libreoffice_import_exactly_or_say_where_they_cannot(fidelity_build, tmp_path):
    """formgen's DOCX laid out by LibreOffice: another font, other widths, paddings unlike left
    and right, untagged. Forms of one page and of several read exactly, the long goals of a
    自评表 too (the plan cuts them into rows of their own, which LibreOffice keeps). Where
    LibreOffice cuts a row at a page it rules the cut, so the part on the next page looks like a
    row of its own: that would be reported, with the page and cell, as is a line break the
    widths cannot decide."""
    copies, forms = [], fidelity_build.done
    for form in forms:
        copies.append(tmp_path / f"{len(copies)}.docx")
        shutil.copy(form.stem.with_suffix(".docx"), copies[-1])
    converted = _convert(copies, "pdf", tmp_path)
    exact, reported = set(), {}
    for form, copy in zip(forms, copies):
        [result] = import_files([converted[copy]], tmp_path / copy.stem)
        name = form.loaded.project.name + form.loaded.project.form
        if result.written is None:
            assert all(" 页 表格第 " in p for p in result.problems), result.problems
            reported[name] = result.problems
            continue
        assert comparable(check([result.written]).done[0].loaded.project) == comparable(form.loaded.project), name
        exact.add(name)
    assert exact == {"课题研究申报表", "城管执法社会宣传申报表", "行业信访、安全及保障稳定的应急工作专项申报表",
                     "社发办-片区专项经费申报表", "城管执法监督考核目标表", "城管执法社会宣传自评表",
                     "行政复议受理和行政诉讼应诉工作自评表"}, reported
