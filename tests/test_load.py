"""Loading project files: exact values, line numbers, duplicate keys, defaults, YAML pitfalls."""

import datetime
from decimal import Decimal

from projects import DECLARATION, declaration, line_of

from formgen.errors import ProjectError
from formgen.load import load_file, read_settings


def load(workspace, text, name="项目.yaml"):
    path = workspace.write(name, text)
    return load_file(path, read_settings(path.parent, workspace.root))


def load_one(workspace, text, name="项目.yaml"):
    [result] = load(workspace, text, name)
    if isinstance(result, ProjectError):
        raise result
    return result


def problems_of(workspace, text, name="项目.yaml"):
    [result] = load(workspace, text, name)
    assert isinstance(result, ProjectError), "expected the project to be refused"
    return result.problems


def test_example_loads_with_exact_values(workspace):
    project = load_one(workspace, DECLARATION).project
    assert project.funding.total == Decimal("400000.00")
    assert project.funding.other == Decimal("0")
    assert project.start == datetime.date(2023, 1, 1)
    assert project.period == (2023, 2023)
    assert project.overall_goal == "项目立项依据充分且立项规范……"
    assert list(project.indicators) == ["产出指标", "效益指标", "满意度指标"]
    assert project.indicators["产出指标"]["数量指标"] == {
        "人员配置数量": "≥2(人)", "课题数量": "=7.00(个)", "工作开展天数": "120"}


def test_amounts_keep_every_cent_and_accept_separators(workspace):
    text = declaration(项目资金总额="项目资金总额: 3,079,000.10", 财政资金="财政资金: 3079000.10")
    project = load_one(workspace, text).project
    assert project.funding.total == Decimal("3079000.10")


def test_numbers_stay_as_written(workspace):
    text = declaration(工作开展天数="工作开展天数: 120.00", 课题验收通过率="课题验收通过率: 100")
    items = load_one(workspace, text).project.indicators["产出指标"]
    assert items["数量指标"]["工作开展天数"] == "120.00"
    assert items["质量指标"]["课题验收通过率"] == "100"


def test_short_dates_are_read(workspace):
    project = load_one(workspace, declaration(计划开始日期="计划开始日期: 2023-1-1")).project
    assert project.start == datetime.date(2023, 1, 1)


def test_bad_amount_names_file_line_and_field(workspace):
    text = declaration(财政资金="财政资金: 四十万")
    [problem] = problems_of(workspace, text)
    assert str(problem) == f'项目.yaml:{line_of(text, "财政资金")}: 项目资金.财政资金: 应为金额（如 400000.00），实际为 "四十万"'


def test_bad_date_and_unknown_field_are_reported_together(workspace):
    text = declaration(计划开始日期="计划开始日期: 2023-13-01") + "项目负责人: 张三\n"
    problems = problems_of(workspace, text)
    messages = {p.field: (p.line, p.message) for p in problems}
    assert messages["计划开始日期"] == (line_of(text, "计划开始日期"), '应为日期（如 2023-01-01），实际为 "2023-13-01"')
    assert messages["项目负责人"][0] == line_of(text, "项目负责人")
    assert "不认识的字段" in messages["项目负责人"][1]


def test_duplicate_key_is_refused_with_both_lines(workspace):
    text = DECLARATION.replace("      课题数量: =7.00(个)\n", "      课题数量: =7.00(个)\n      课题数量: =8.00(个)\n")
    [problem] = problems_of(workspace, text)
    first = line_of(text, "课题数量")
    assert problem.line == first + 1
    assert problem.field == "绩效指标.产出指标.数量指标.课题数量"
    assert f"第 {first} 行" in problem.message


def test_unquoted_greater_than_asks_for_quotes(workspace):
    text = declaration(课题数量="课题数量: >4(次)")
    [problem] = problems_of(workspace, text)
    assert problem.line == line_of(text, "课题数量")
    assert "须加引号" in problem.message and '">4(次)"' in problem.message


def test_unquoted_greater_than_with_single_digit_is_not_silently_empty(workspace):
    text = declaration(课题数量="课题数量: >4")
    [problem] = problems_of(workspace, text)
    assert problem.line == line_of(text, "课题数量")
    assert "须加引号" in problem.message


def test_full_width_comparisons_print_as_written_and_compare_as_ascii(workspace):
    from formgen.layout import Layouts
    from formgen.load.targets import parse_target

    text = declaration(课题数量="课题数量: ＞4(次)", 人员配置数量="人员配置数量: ＝2(人)")
    project = load_one(workspace, text).project
    items = project.indicators["产出指标"]["数量指标"]
    assert items["课题数量"] == "＞4(次)" and items["人员配置数量"] == "＝2(人)"
    assert parse_target(items["课题数量"]) == parse_target(">4(次)")
    assert "＞4(次)" in {cell.text for cell in Layouts().sheet(project).cells}


def test_quoted_value_and_mapping_form_are_the_same(workspace):
    text = declaration(课题数量='课题数量: {指标值: ">4(次)"}')
    items = load_one(workspace, text).project.indicators["产出指标"]["数量指标"]
    assert items["课题数量"] == ">4(次)"


def test_several_projects_in_one_file_fail_alone(workspace):
    bad = declaration(项目名称="项目名称: 第二个", 财政资金="财政资金: 很多")
    results = load(workspace, DECLARATION + "---\n" + bad)
    assert [type(r).__name__ for r in results] == ["LoadedProject", "ProjectError"]
    [problem] = results[1].problems
    assert problem.line == len(DECLARATION.splitlines()) + 1 + line_of(bad, "财政资金")


def test_defaults_come_from_formgen_yaml_and_the_project_wins(workspace):
    workspace.write("单位/formgen.yaml", "表单: 申报表\n年度: 2024\n主管部门: 市某局\n实施单位: 某中心\n")
    text = "\n".join(l for l in DECLARATION.splitlines() if not l.startswith(("表单", "年度", "主管部门"))) + "\n"
    project = load_one(workspace, text, "单位/项目.yaml").project
    assert (project.year, project.department) == (2024, "市某局")
    assert project.implementer == "上海市城市管理行政执法局"


def test_an_error_in_an_inherited_value_points_into_formgen_yaml(workspace):
    workspace.write("单位/formgen.yaml", "表单: 申报表\n年度: 二〇二三\n")
    text = "\n".join(l for l in DECLARATION.splitlines() if not l.startswith(("表单", "年度"))) + "\n"
    [problem] = problems_of(workspace, text, "单位/项目.yaml")
    assert (problem.file.endswith("formgen.yaml"), problem.line, problem.field) == (True, 2, "年度")


def test_missing_form_kind_is_an_error(workspace):
    text = "\n".join(l for l in DECLARATION.splitlines() if not l.startswith("表单")) + "\n"
    [problem] = problems_of(workspace, text)
    assert (problem.field, problem.message) == ("表单", "缺少 表单 字段")


def test_syntax_error_names_the_line(workspace):
    text = DECLARATION.replace("项目性质: 其他一次性项目", "项目性质: [其他一次性项目")
    [problem] = problems_of(workspace, text)
    assert problem.line == 4 and "没有成对" in problem.message


def test_control_characters_are_refused(workspace):
    text = declaration(项目性质="项目性质: \"其他\\x07项目\"")
    [problem] = problems_of(workspace, text)
    assert problem.field == "项目性质" and "控制字符" in problem.message


def test_tab_indentation_is_explained(workspace):
    text = DECLARATION.replace("  产出指标:", "\t产出指标:")
    [problem] = problems_of(workspace, text)
    assert problem.line == line_of(text, "产出指标") and "制表符" in problem.message
