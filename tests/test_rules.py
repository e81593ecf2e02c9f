"""Rules across fields: sums, dates, the indicator tree, catalogue names, numeric-looking values."""

from decimal import Decimal

from projects import DECLARATION, declaration, line_of

from formgen.errors import ProjectError
from formgen.load import load_file, read_settings
from formgen.load.rules import catalogue_for
from formgen.load.targets import parse_target


def run(workspace, text):
    path = workspace.write("项目.yaml", text)
    [result] = load_file(path, read_settings(path.parent, workspace.root))
    return result


def errors(workspace, text):
    result = run(workspace, text)
    assert isinstance(result, ProjectError), "expected errors"
    return result.problems


def warnings(workspace, text):
    result = run(workspace, text)
    assert not isinstance(result, ProjectError), result
    return result.warnings


def test_example_has_no_problem(workspace):
    assert warnings(workspace, DECLARATION) == []


def test_total_must_equal_its_parts(workspace):
    text = declaration(财政资金="财政资金: 390000.00")
    [problem] = errors(workspace, text)
    assert (problem.line, problem.field) == (line_of(text, "项目资金总额"), "项目资金.项目资金总额")
    assert problem.message == "项目资金总额 400,000.00 不等于 财政资金 + 其他资金 = 390,000.00"


def test_annual_total_must_equal_its_parts(workspace):
    text = declaration(上年结转资金="上年结转资金: 0.01")
    [problem] = errors(workspace, text)
    assert problem.field == "项目资金.年度资金申请总额"
    assert "400,000.01" in problem.message


def test_sum_with_a_part_left_out_is_not_checked(workspace):
    text = declaration(财政资金="", 其他资金="")
    text = "\n".join(l for l in text.splitlines() if l.strip()) + "\n"
    assert warnings(workspace, text) == []


def test_end_before_start_is_an_error(workspace):
    text = declaration(计划完成日期="计划完成日期: 2022-12-31")
    [problem] = errors(workspace, text)
    assert (problem.line, problem.field) == (line_of(text, "计划完成日期"), "计划完成日期")


def test_level1_without_indicators_is_an_error(workspace):
    text = DECLARATION.replace("  满意度指标:\n    服务对象满意度指标:\n      牵头处室满意度: ≥90(%)\n", "  满意度指标:\n")
    [problem] = errors(workspace, text)
    assert (problem.line, problem.field) == (line_of(text, "满意度指标"), "绩效指标.满意度指标")
    assert "没有三级指标" in problem.message


def test_level2_without_indicators_is_an_error(workspace):
    text = DECLARATION.replace("    质量指标:\n      课题验收通过率: =100(%)\n", "    质量指标: {}\n")
    [problem] = errors(workspace, text)
    assert problem.field == "绩效指标.产出指标.质量指标"


def test_unknown_level_names_are_warnings(workspace):
    text = DECLARATION.replace("  效益指标:\n    社会效益指标:", "  效果指标:\n    社会效益指标:").replace(
        "    时效指标:", "    时限指标:")
    found = {w.field: w for w in warnings(workspace, text)}
    assert set(found) == {"绩效指标.效果指标", "绩效指标.产出指标.时限指标"}
    assert all(w.level == "warning" for w in found.values())
    assert found["绩效指标.效果指标"].line == line_of(text, "效果指标")


def test_cost_level_is_known_from_2024(workspace):
    assert "成本指标" in catalogue_for(2024) and "成本指标" not in catalogue_for(2023)
    assert catalogue_for(2025) == catalogue_for(2024)
    text = declaration(年度="年度: 2024").replace("  产出指标:", "  成本指标:\n    经济成本指标:\n      经费成本: ≤35.50(万元)\n  产出指标:")
    assert warnings(workspace, text) == []


def test_numeric_looking_value_that_does_not_parse_is_a_warning(workspace):
    text = declaration(课题数量="课题数量: =7.0.0(个)", 人员配置数量="人员配置数量: ≥2(人")
    found = warnings(workspace, text)
    assert [w.field.split(".")[-1] for w in found] == ["人员配置数量", "课题数量"]
    assert "像数值但无法读出" in found[0].message


def test_parse_target():
    assert parse_target("≥3.00(人)") == ("≥", Decimal("3.00"), "人")
    assert parse_target("=100(%)") == ("=", Decimal("100"), "%")
    assert parse_target("≥ 92.00 (百分比)") == ("≥", Decimal("92.00"), "百分比")
    assert parse_target("120") == ("=", Decimal("120"), "")
    assert parse_target("及时") is None
    assert parse_target("=1OO(%)") is None


def test_a_placeholder_left_in_a_value_or_a_name_fails_the_check(workspace):
    text = declaration(项目性质="项目性质: 待填写", 牵头处室满意度="待填写的指标: 待填写")
    problems = errors(workspace, text)
    assert {(p.field, p.line) for p in problems} == {
        ("项目性质", line_of(text, "项目性质")),
        ("绩效指标.满意度指标.服务对象满意度指标.待填写的指标", line_of(text, "待填写的指标"))}
    assert all(p.is_error for p in problems)
    assert any("改为实际的名称" in p.message for p in problems) and any("改为实际内容" in p.message for p in problems)


def test_a_placeholder_inherited_from_formgen_yaml_is_said_where_it_is(workspace):
    workspace.write("formgen.yaml", "主管部门: 待填写\n")
    [problem] = errors(workspace, declaration(主管部门="# 主管部门 见 formgen.yaml"))
    assert (problem.file, problem.line, problem.field) == ("formgen.yaml", 1, "主管部门")


def test_a_placeholder_typed_beside_fails_the_check(workspace):
    text = declaration(项目性质="项目性质: 待填写其他一次性项目", 牵头处室满意度="牵头处室满意度: ≥90(%)待填写")
    problems = errors(workspace, text)
    assert {p.field for p in problems} == {"项目性质", "绩效指标.满意度指标.服务对象满意度指标.牵头处室满意度"}
    assert all(p.message == "仍留着「待填写」：请删去它，只留实际内容" for p in problems)


def test_the_example_names_of_formgen_init_are_warned_of_until_changed(workspace):
    from formgen.commands.init import UNIT_SETTINGS

    workspace.write("formgen.yaml", UNIT_SETTINGS)
    problems = warnings(workspace, declaration(主管部门="# 主管部门 见 formgen.yaml", 实施单位="# 实施单位 见 formgen.yaml"))
    assert {(p.file, p.field, p.message) for p in problems} == {
        ("formgen.yaml", "主管部门", "仍是示例名称「上海市某某委员会」：请改为本单位实际的名称"),
        ("formgen.yaml", "实施单位", "仍是示例名称「上海市某某局」：请改为本单位实际的名称")}
    workspace.write("formgen.yaml", UNIT_SETTINGS.replace("某某", "城市管理行政执法"))
    assert warnings(workspace, declaration(主管部门="# 主管部门 见 formgen.yaml", 实施单位="# 实施单位 见 formgen.yaml")) == []


def test_a_text_that_only_mentions_the_placeholder_passes(workspace):
    warnings(workspace, declaration(项目性质="项目性质: 其他一次性项目（原待填写）"))
