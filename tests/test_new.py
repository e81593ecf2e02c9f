"""``formgen new 自评表 --from``: a draft from each 2023 申报表 that is valid once filled."""

import re
from decimal import Decimal

from click.testing import CliRunner

from formgen.workspace import check
from formgen.cli import main
from formgen.commands.new import suggested_weights

from conftest import SAMPLES


def fill(text: str) -> str:
    """What the officer types into the draft: spending, results and the achieved goals."""
    text = re.sub(r"(年初预算数|全年预算数|全年执行数):  # 待填写", r"\1: 0", text)
    text = re.sub(r"实际完成值:  # 待填写", "实际完成值: 达成指标", text)
    return text.replace("实际完成情况:  # 待填写", "实际完成情况: 全部完成。")


def test_draft_from_every_2023_declaration_is_valid_once_filled(workspace):
    declarations = [job.loaded for job in check([SAMPLES]).done
                    if job.loaded.project.form == "申报表" and job.loaded.project.year == 2023]
    assert len(declarations) == 42
    runner = CliRunner()
    for index, loaded in enumerate(declarations):
        draft = workspace.root / f"{index}.yaml"
        result = runner.invoke(main, ["new", "自评表", "--from", str(loaded.file), "-o", str(draft)])
        assert result.exit_code == 0, result.output
        text = draft.read_text(encoding="utf-8")
        assert "待填写" in text
        unfilled = check([draft])
        assert unfilled.failed, "an unfilled draft must not pass"
        draft.write_text(fill(text), encoding="utf-8")
        report = check([draft])
        assert report.failed == [], (loaded.file, report.failed)
        [job] = report.done
        evaluation, declaration = job.loaded.project, loaded.project
        assert evaluation.year == declaration.year and evaluation.name == declaration.name  # the same budget year
        assert evaluation.implementer == declaration.implementer
        carried = declaration.funding.annual_appropriation
        assert evaluation.funding.appropriation.initial == (Decimal(0) if carried is None else carried)
        assert evaluation.goals.expected == declaration.annual_goal
        assert {(l1, l2, n): e.target for l1, l2, n, e in evaluation.evaluations()} == {
            (l1, l2, n): t for l1, g in declaration.indicators.items() for l2, items in g.items() for n, t in items.items()}
        assert evaluation.total_weight == 100


def test_existing_output_is_not_overwritten(workspace):
    source = SAMPLES / "上海市城市管理行政执法局-2023" / "课题研究.yaml"
    workspace.write("草稿.yaml", "别动我\n")
    result = CliRunner().invoke(main, ["new", "自评表", "--from", str(source), "-o", "草稿.yaml"])
    assert result.exit_code == 1 and "已存在" in result.output
    assert (workspace.root / "草稿.yaml").read_text(encoding="utf-8") == "别动我\n"


def test_from_a_self_evaluation_is_refused(workspace):
    source = SAMPLES / "上海市城市管理行政执法局-2024" / "课题研究-自评.yaml"
    result = CliRunner().invoke(main, ["new", "自评表", "--from", str(source), "-o", "x.yaml"])
    assert result.exit_code == 1 and "应为申报表" in result.output
    assert not (workspace.root / "x.yaml").exists()


def test_suggested_weights_follow_the_usual_split():
    tree = {"成本指标": {"经济成本指标": {"a": "≤1"}}, "产出指标": {"数量指标": {"b": "1", "c": "2"}},
            "效益指标": {"社会效益指标": {"d": "提升"}, "可持续影响指标": {"e": "健全", "f": "健全"}},
            "满意度指标": {"服务对象满意度指标": {"g": "≥90(%)"}}}
    weights = suggested_weights(tree)
    assert sum(weights.values()) == Decimal(90)
    assert weights["成本指标", "经济成本指标", "a"] + weights["产出指标", "数量指标", "b"] + weights["产出指标", "数量指标", "c"] == 50
    assert weights["满意度指标", "服务对象满意度指标", "g"] == 10
    assert weights["效益指标", "社会效益指标", "d"] == Decimal("10.00")


def test_suggested_weights_when_a_level_is_missing():
    weights = suggested_weights({"产出指标": {"数量指标": {"a": "1"}}, "效益指标": {"社会效益指标": {"b": "1"}}})
    assert weights["产出指标", "数量指标", "a"] == Decimal("56.25") and sum(weights.values()) == 90




def _filled_draft(workspace):
    source = workspace.write("申报/课题研究.yaml", (SAMPLES / "上海市城市管理行政执法局-2023" / "课题研究.yaml")
                             .read_text(encoding="utf-8"))
    workspace.write("申报/formgen.yaml", (SAMPLES / "上海市城市管理行政执法局-2023" / "formgen.yaml")
                    .read_text(encoding="utf-8"))
    result = CliRunner().invoke(main, ["new", "自评表", "--from", str(source), "-o", "自评/课题研究-自评.yaml"])
    assert result.exit_code == 0, result.output
    draft = workspace.root / "自评" / "课题研究-自评.yaml"
    draft.write_text(fill(draft.read_text(encoding="utf-8")), encoding="utf-8")
    return source, draft


def test_the_draft_names_its_declaration_and_matches_it(workspace):
    source, draft = _filled_draft(workspace)
    assert "申报表: ../申报/课题研究.yaml" in draft.read_text(encoding="utf-8")
    [form] = check([draft]).done
    assert not [w for w in form.warnings if "申报表" in w.message]


def test_a_self_evaluation_of_another_year_than_its_declaration_is_warned(workspace):
    source, draft = _filled_draft(workspace)
    text = draft.read_text(encoding="utf-8")
    assert "年度: 2023" in text and "2023 年度自评表草稿" in text  # drafted from the 2023 申报表: a 2023 自评表
    draft.write_text(text.replace("年度: 2023", "年度: 2024"), encoding="utf-8")
    [form] = check([draft]).done
    [warning] = [w for w in form.warnings if w.field == "年度"]
    assert "自评表为 2024 年度，所依据的申报表为 2023 年度" in warning.message and warning.level == "warning"


def test_a_self_evaluation_that_drifted_from_its_declaration_is_warned_of_each_difference(workspace):
    source, draft = _filled_draft(workspace)
    text = draft.read_text(encoding="utf-8")
    text = text.replace("指标值: =7.00(个)", "指标值: =8.00(个)", 1)  # a target changed
    text = text.replace("      课题验收通过率:", "      课题验收合格率:", 1)  # an indicator renamed
    text = text.replace("全年执行数: 0", "全年执行数: 999999999", 1)  # more spent than budgeted
    draft.write_text(text, encoding="utf-8")
    report = check([draft])
    messages = [w.message for w in report.done[0].warnings]
    assert any("指标值与申报表不同" in m and "=8.00(个)" in m and "=7.00(个)" in m for m in messages)
    assert any("申报表中没有这个指标" in m for m in messages)
    assert any("课题验收通过率" in m and "不在自评表中" in m for m in messages)
    assert any("全年执行数大于全年预算数" in m for m in messages)


def test_a_long_target_that_drifted_is_quoted_in_part(workspace):
    """A 2,900-character 指标值 is not repeated whole in the warning (the CLI attack's 500 of them
    printed 2.9 MB of warnings): the start of each side, and how long it is."""
    source, draft = _filled_draft(workspace)
    long_value = "按期完成课题研究并形成成果报告" * 200
    draft.write_text(draft.read_text(encoding="utf-8").replace("指标值: =7.00(个)", f"指标值: {long_value}", 1),
                     encoding="utf-8")
    [warning] = [w for w in check([draft]).done[0].warnings if "指标值与申报表不同" in w.message]
    assert len(warning.message) < 150 and long_value[:40] in warning.message and "共 3,000 字" in warning.message
    assert "=7.00(个)" in warning.message


def test_editing_the_declaration_rechecks_its_self_evaluation_on_the_next_build(workspace):
    source, draft = _filled_draft(workspace)
    first = CliRunner().invoke(main, ["build", "自评", "-o", "out", "-f", "xlsx"])
    assert first.exit_code == 0 and "指标值与申报表不同" not in first.output
    source.write_text(source.read_text(encoding="utf-8").replace("课题数量: =7.00(个)", "课题数量: =9.00(个)"),
                      encoding="utf-8")
    second = CliRunner().invoke(main, ["build", "自评", "-o", "out", "-f", "xlsx"])
    assert "生成 1 个表单" in second.output and "指标值与申报表不同" in second.output
