"""A unit's own wording and number style (措辞, 日期格式, 金额小数位) reach every format, and import still reads them."""

import openpyxl
from click.testing import CliRunner
from projects import DECLARATION
from readback import docx_grid, pdf_text, printed_sheet, xlsx_grid

from formgen.cli import main
from formgen.commands.importing import import_files
from formgen.errors import ProjectError
from formgen.layout import Layouts
from formgen.load import load_file, read_settings
from formgen.workspace import check

TAOPU = """\
措辞:
  项目总目标: 项目总体目标
  年度总体目标: 年度总目标
  年度(/项目)指标值: 年度（/项目）指标值
日期格式: 2023-1-1
"""


def build(workspace, settings: str, project: str = DECLARATION):
    workspace.write("ws/某镇/formgen.yaml", settings)
    workspace.write("ws/某镇/项目.yaml", project)
    result = CliRunner().invoke(main, ["build", "ws", "-o", "out"])
    assert result.exit_code == 0, result.output
    return workspace.root / "out" / "某镇" / "课题研究"


def test_a_units_wording_and_date_style_reach_all_three_formats(workspace):
    stem = build(workspace, TAOPU)
    [form] = check([workspace.root / "ws"]).done
    sheet = printed_sheet(form.loaded.project)
    texts = {cell.text for cell in sheet.cells}
    assert {"项目总体目标 (2023年-2023年)", "年度总目标", "年度（/项目）指标值", "2023-1-1", "2023-12-31"} <= texts
    assert not {"项目总目标 (2023年-2023年)", "年度总体目标", "2023-01-01"} & texts
    assert docx_grid(stem.with_suffix(".docx")) == sheet.grid()
    assert xlsx_grid(stem.with_suffix(".xlsx"), len(sheet.headings) + 1) == sheet.grid()
    pdf = pdf_text(stem.with_suffix(".pdf"))
    assert "项目总体目标(2023年-2023年)" in pdf and "年度总目标" in pdf and "2023-1-1" in pdf


def test_whole_yuan_amounts_print_without_decimals_but_never_hide_cents(workspace):
    project = DECLARATION.replace("其他资金: 0\n", "其他资金: 0.50\n", 1).replace(
        "项目资金总额: 400000.00", "项目资金总额: 400000.50")
    stem = build(workspace, "金额小数位: 0\n", project)
    ws = openpyxl.load_workbook(stem.with_suffix(".xlsx")).active
    shown = {(c.value, c.number_format) for row in ws.iter_rows() for c in row if isinstance(c.value, (int, float))}
    assert (400000, "#,##0") in shown and (400000.5, "#,##0.00") in shown
    assert "400,000" in docx_grid(stem.with_suffix(".docx"))[0][4] or any(
        text == "400,000" for *_, text in docx_grid(stem.with_suffix(".docx")))
    assert any(text == "400,000.50" for *_, text in docx_grid(stem.with_suffix(".docx")))


def test_a_project_can_word_itself_differently_from_its_unit(workspace):
    project = DECLARATION + "措辞: {年度总体目标: 本年度目标}\n"
    build(workspace, TAOPU, project)
    [form] = check([workspace.root / "ws"]).done
    texts = {cell.text for cell in Layouts().sheet(form.loaded.project).cells}
    assert "本年度目标" in texts and "项目总体目标 (2023年-2023年)" in texts  # merged with the unit's


def test_an_unknown_label_is_an_error_with_file_and_line(workspace):
    workspace.write("ws/formgen.yaml", "表单: 申报表\n措辞:\n  项目总目表: 项目总体目标\n")
    path = workspace.write("ws/项目.yaml", DECLARATION)
    [result] = load_file(path, read_settings(path.parent, path.parent))
    assert isinstance(result, ProjectError)
    [problem] = result.problems
    assert problem.file.endswith("formgen.yaml") and problem.line == 2 and "项目总目表" in problem.message
    assert "项目总目标" in problem.message  # did you mean


def test_import_reads_a_form_printed_in_a_units_wording(workspace):
    stem = build(workspace, TAOPU)
    [form] = check([workspace.root / "ws"]).done
    for suffix in (".xlsx", ".docx"):
        [result] = import_files([stem.with_suffix(suffix)], workspace.root / f"导入{suffix}")
        assert result.written is not None, result.problems
        [imported] = check([result.written]).done
        original, back = form.loaded.project, imported.loaded.project
        assert (back.overall_goal, back.annual_goal, back.indicators, back.start) == \
            (original.overall_goal, original.annual_goal, original.indicators, original.start)
