"""自评表: loading, computed figures, checks of typed figures and scores, the layout."""

from decimal import Decimal as D

from formgen.errors import ProjectError
from formgen.layout import Layouts
from formgen.load import load_file, read_settings
from projects import SELF_EVALUATION, line_of, self_evaluation


def run(workspace, text):
    path = workspace.write("自评.yaml", text)
    [result] = load_file(path, read_settings(path.parent, workspace.root))
    return result


def loaded(workspace, text=SELF_EVALUATION):
    result = run(workspace, text)
    assert not isinstance(result, ProjectError), result
    return result


def errors(workspace, text):
    result = run(workspace, text)
    assert isinstance(result, ProjectError), "expected errors"
    return result.problems


def test_figures_are_computed(workspace):
    project = loaded(workspace).project
    total = project.funding.total
    assert (total.initial, total.annual, total.executed) == (D(302000), D(302000), D(262000))
    assert total.rate == D("86.75") and project.budget_score == D("8.68")
    assert project.total_score == D("78.68") and project.grade == "中"
    assert project.total_weight == 100


def test_typed_figures_that_agree_are_accepted(workspace):
    text = SELF_EVALUATION + "预算执行得分: 8.68\n总分: 78.68\n评分等级: 中\n"
    assert loaded(workspace, text).project.total_given == D("78.68")


def test_typed_figures_that_disagree_show_both_numbers(workspace):
    text = SELF_EVALUATION + "预算执行得分: 8.67\n总分: 80\n评分等级: 良\n"
    found = {p.field: p for p in errors(workspace, text)}
    assert set(found) == {"预算执行得分", "总分", "评分等级"}
    assert "填写为 8.67" in found["预算执行得分"].message and "应为 8.68" in found["预算执行得分"].message
    assert found["总分"].line == line_of(text, "总分")


def test_typed_rate_and_total_columns_are_checked(workspace):
    text = SELF_EVALUATION.replace(
        "  其他资金: {年初预算数: 0, 全年预算数: 0, 全年执行数: 0}\n",
        "  其他资金: {年初预算数: 0, 全年预算数: 0, 全年执行数: 0}\n  年度资金总额: {全年执行数: 262000, 执行率: 86.76}\n")
    [problem] = errors(workspace, text)
    assert problem.field == "项目资金.年度资金总额.执行率" and "86.76" in problem.message and "86.75" in problem.message


def test_spending_without_budget_is_an_error(workspace):
    text = self_evaluation(其他资金="其他资金: {年初预算数: 0, 全年预算数: 0, 全年执行数: 100}")
    messages = [p.message for p in errors(workspace, text)]
    assert any("全年预算数为 0" in m for m in messages)


def test_weights_must_add_up_to_100(workspace):
    text = SELF_EVALUATION.replace("分值: 10, 得分: 10}", "分值: 9, 得分: 9}")
    [problem] = errors(workspace, text)
    assert problem.field == "绩效指标" and "99" in problem.message and "100" in problem.message


def test_score_above_weight_is_an_error(workspace):
    text = SELF_EVALUATION.replace("分值: 30\n        得分: 30", "分值: 30\n        得分: 31")
    [problem] = errors(workspace, text)
    assert problem.field.endswith("重大疑难案件咨询开展次数.得分") and "超过分值" in problem.message


def test_empty_score_is_proposed_and_reported(workspace):
    text = SELF_EVALUATION.replace("分值: 30\n        得分: 30", "分值: 30")
    result = loaded(workspace, text)
    item = result.project.indicators["产出指标"]["数量指标"]["重大疑难案件咨询开展次数"]
    assert item.score == D(30)
    [note] = [p for p in result.warnings if p.level == "note" and p.field.endswith("得分")]
    assert "建议 30.00 分" in note.message


def test_missed_numeric_target_is_proposed_in_proportion(workspace):
    text = SELF_EVALUATION.replace("实际完成值: 88.90(%), 分值: 10, 得分: 10", "实际完成值: 80.75(%), 分值: 10, 偏差原因分析及改进措施: 宣传不足")
    item = loaded(workspace, text).project.indicators["满意度指标"]["服务对象满意度指标"]["城管执法社会满意度"]
    assert item.score == D("9.50")  # 80.75 / 85 × 10


def test_weaker_verdict_without_score_asks_for_one(workspace):
    text = SELF_EVALUATION.replace("实际完成值: 达成指标, 分值: 30, 得分: 30", "实际完成值: 部分达成指标并具有一定效果, 分值: 30, 偏差原因分析及改进措施: 有待完善")
    [problem] = errors(workspace, text)
    assert problem.field.endswith("应诉工作机制健全性.得分") and "请填写得分" in problem.message


def test_score_outside_its_verdict_band_is_a_warning(workspace):
    text = SELF_EVALUATION.replace("实际完成值: 达成指标, 分值: 30, 得分: 30", "实际完成值: 达成指标, 分值: 30, 得分: 20")
    warnings = [p for p in loaded(workspace, text).warnings if p.level == "warning"]
    assert [w.field.split(".")[-2:] for w in warnings] == [["应诉工作机制健全性", "得分"]]


def test_missed_target_without_reason_is_a_warning(workspace):
    text = SELF_EVALUATION.replace(", 偏差原因分析及改进措施: 未发生诉讼", "")
    warnings = [p for p in loaded(workspace, text).warnings if p.level == "warning"]
    assert [w.field.split(".")[-1] for w in warnings] == ["代理诉讼案件次数"]
    assert "偏差原因分析" in warnings[0].message


def test_unusual_level_weights_are_a_note_only(workspace):
    notes = [p for p in loaded(workspace).warnings if p.level == "note"]
    assert notes == []  # 产出 50, 效益 30, 满意度 10
    text = SELF_EVALUATION.replace("分值: 30, 得分: 30}", "分值: 10, 得分: 10}").replace(
        "分值: 30\n        得分: 30", "分值: 50\n        得分: 50")
    [note] = [p for p in loaded(workspace, text).warnings if p.level == "note"]
    assert "效益指标 10" in note.message and "通常 30" in note.message


def test_self_evaluation_grid_matches_forms_md(workspace):
    sheet = Layouts().sheet(loaded(workspace).project)
    grid = {(r, c): (rs, cs, text) for r, c, rs, cs, text in sheet.grid()}
    assert sheet.orientation == "landscape" and sheet.column_count == 8
    assert [h.text for h in sheet.headings] == ["财政项目支出绩效自评表", "(2024年度)"]
    assert grid[0, 0] == (1, 2, "项目名称") and grid[0, 2] == (1, 6, "行政复议受理和行政诉讼应诉工作")
    assert grid[1, 4] == (1, 2, "实施单位") and grid[1, 6] == (1, 2, "上海市城市管理行政执法局")
    assert grid[2, 0] == (5, 1, "项目资金(万元)") and grid[2, 6] == (1, 1, "执行率(%)")
    assert grid[2, 5] == (1, 1, "分数")  # as all 15 published 自评表 print it
    assert [grid[3, c][2] for c in range(1, 8)] == ["年度资金总额:", "30.20", "30.20", "26.20", "10.00", "86.75", "8.68"]
    assert [grid[4, c][2] for c in range(5, 8)] == ["-", "86.75", "-"]
    assert grid[7, 0] == (2, 1, "年度总体目标") and grid[7, 1] == (1, 3, "预期目标") and grid[7, 4] == (1, 4, "实际完成情况")
    assert grid[9, 7] == (1, 1, "偏差原因分析及改进措施") and sheet.repeat_rows == (9,)
    assert grid[10, 0] == (2, 1, "产出指标") and grid[10, 1] == (2, 1, "数量指标")
    assert [grid[10, c][2] for c in range(2, 8)] == ["重大疑难案件咨询开展次数", ">4(次)", "7.00(次)", "30.00", "30.00", ""]
    assert grid[14, 0] == (1, 5, "总分") and grid[14, 5][2] == "100.00" and grid[14, 6][2] == "78.68"
    assert grid[15, 0] == (1, 2, "评分等级") and grid[15, 2] == (1, 6, "中")
    assert sheet.row_count == 16
