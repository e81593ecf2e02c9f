"""The slips people typing Chinese make, each with the message that points at it and says the fix."""

import pytest
from projects import DECLARATION, SELF_EVALUATION, declaration, line_of

from formgen.errors import ProjectError
from formgen.load import Settings, load_file


def problems(workspace, text):
    [result] = load_file(workspace.write("项目.yaml", text), Settings())
    assert isinstance(result, ProjectError), "expected the project to be refused"
    for problem in result.problems:  # no library English reaches the user
        assert not any(word in problem.message for word in ("expected", "mapping values", "could not", "Value error",
                                                            "Field required", "Extra inputs"))
    return result.problems


@pytest.mark.parametrize("key", ["项目类别", "项目性质", "计划开始日期"])
def test_full_width_colon_after_a_key_names_its_line(workspace, key):
    text = DECLARATION.replace(f"{key}: ", f"{key}：", 1)
    [problem] = problems(workspace, text)
    assert problem.line == line_of(DECLARATION, key)
    assert "全角冒号" in problem.message and f"{key}: " in problem.message


def test_full_width_colon_in_an_indicator_names_the_indicator(workspace):
    text = DECLARATION.replace("      课题数量: =7.00(个)", "      课题数量：=7.00(个)")
    found = problems(workspace, text)
    assert any("全角冒号" in p.message for p in found)


def test_a_comma_that_cuts_a_text_in_braces_says_quote_it(workspace):
    text = SELF_EVALUATION.replace(
        "偏差原因分析及改进措施: 未发生诉讼}", "偏差原因分析及改进措施: 因疫情影响, 部分成果未能汇编}", 1)
    assert text != SELF_EVALUATION
    found = problems(workspace, text)
    assert any("部分成果未能汇编" in p.message and "英文逗号" in p.message and "引号" in p.message for p in found)


@pytest.mark.parametrize("bad, expected_line", [
    (("  项目资金总额: 400000.00", "   项目资金总额: 400000.00"), "项目资金总额"),  # one space off
    (("  财政资金: 400000.00", " 财政资金: 400000.00"), "财政资金"),
])
def test_a_key_out_of_line_names_its_line_and_the_levels(workspace, bad, expected_line):
    text = DECLARATION.replace(*bad)
    [problem] = problems(workspace, text)
    assert problem.line in (line_of(DECLARATION, expected_line), line_of(DECLARATION, expected_line) + 1)
    assert "缩进" in problem.message


def test_a_third_level_indicator_under_a_first_level_one_says_where_it_belongs(workspace):
    text = declaration().replace("  效益指标:\n    社会效益指标:\n      项目成果共享: 汇编共享",
                                 "  效益指标:\n    项目成果共享: 汇编共享")
    found = problems(workspace, text)
    assert any("项目成果共享" in p.message and "三级指标" in p.message and "二级指标" in p.message for p in found)


@pytest.mark.parametrize("typo, meant", [("项目明称", "项目名称"), ("项目类型", "项目类别"), ("计划开始时间", "计划开始日期")])
def test_a_misspelled_key_gets_did_you_mean(workspace, typo, meant):
    key = meant if meant != "项目名称" else "项目名称"
    text = DECLARATION.replace(f"{key}:", f"{typo}:", 1)
    found = problems(workspace, text)
    assert any(typo in p.message and meant in p.message and "字段说明" in p.message for p in found)


@pytest.mark.parametrize("written, shown", [("115万", "1150000"), ("115万元", "1150000"), ("12.5万", "125000.0"),
                                             ("400000元", "400000")])
def test_amounts_in_wan_or_with_a_unit_say_how_to_write_them(workspace, written, shown):
    text = declaration(项目资金总额=f"项目资金总额: {written}")
    [problem] = problems(workspace, text)
    assert problem.field == "项目资金.项目资金总额" and shown in problem.message and "元" in problem.message
