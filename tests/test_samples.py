"""Every seed form is a sample project that builds, and the 自评表 figures equal the printed ones."""

from conftest import SAMPLES

from formgen.errors import ProjectError
from formgen.layout import Layouts
from formgen.load import load_file, read_settings
from formgen.workspace import check

REPORT = check([SAMPLES])


def forms(kind):
    return [job.loaded for job in REPORT.done if job.loaded.project.form == kind]


def test_every_sample_loads_without_error():
    assert REPORT.failed == []


def test_all_46_declarations_load_without_warnings():
    declarations = forms("申报表")
    assert len(declarations) == 46
    assert {loaded.project.year for loaded in declarations} == {2023, 2024}
    assert [w for loaded in declarations for w in loaded.warnings] == []


# 执行率, 预算执行得分, 总分 and 评分等级 as printed on the 15 自评表 of seed 001 (2024).
PRINTED = {
    "依法行政辅助工作服务": ("100.00", "10.00", "96.00", "优"),
    "城管执法分赛区立功竞赛活动": ("98.63", "9.86", "97.86", "优"),
    "城管执法工作标准、规范、制度研究": ("99.87", "9.99", "98.99", "优"),
    "城管执法应急保障": ("100.00", "10.00", "98.40", "优"),
    "城管执法教育培训": ("98.56", "9.86", "96.86", "优"),
    "城管执法普法宣传": ("100.00", "10.00", "95.00", "优"),
    "城管执法监督考核辅助工作": ("80.71", "8.07", "97.07", "优"),
    "城管执法社会宣传": ("91.60", "9.16", "97.16", "优"),
    "城管执法装备建设": ("92.06", "9.21", "97.21", "优"),
    "城管执法队伍规范化建设": ("70.47", "7.05", "94.55", "优"),
    "徐家汇路579号外墙排险维修": ("99.74", "9.97", "97.97", "优"),
    "行政复议受理和行政诉讼应诉工作": ("86.75", "8.68", "94.68", "优"),
    "课题研究": ("100.00", "10.00", "98.00", "优"),
    "金丽大厦维修维护费": ("100.00", "10.00", "98.00", "优"),
    "长三角一体化城市管理综合工作": ("77.75", "7.78", "95.78", "优"),
}


def test_all_15_self_evaluations_compute_the_printed_figures():
    computed = {loaded.project.name: (str(loaded.project.funding.total.rate), str(loaded.project.budget_score),
                                      str(loaded.project.total_score), loaded.project.grade)
                for loaded in forms("自评表")}
    assert computed == PRINTED


def test_a_sample_whose_stated_total_is_wrong_fails_to_load(workspace):
    # The samples also state the printed figures; loading compares them with its own.
    source = SAMPLES / "上海市城市管理行政执法局-2024" / "城管执法监督考核辅助工作-自评.yaml"
    text = source.read_text(encoding="utf-8")
    assert "总分: 97.07" in text
    workspace.write("formgen.yaml", (source.parent / "formgen.yaml").read_text(encoding="utf-8"))
    workspace.write("x.yaml", text.replace("总分: 97.07", "总分: 97.08"))
    [result] = load_file(workspace.root / "x.yaml", read_settings(workspace.root, workspace.root))
    assert isinstance(result, ProjectError) and "97.07" in str(result) and "97.08" in str(result)


def test_every_sample_lays_out_to_a_full_grid():
    layouts = Layouts()
    for job in REPORT.done:
        sheet = layouts.sheet(job.loaded.project)
        slots = sorted((r2, c2) for r, c, rs, cs, _ in sheet.grid() for r2 in range(r, r + rs) for c2 in range(c, c + cs))
        assert slots == [(r, c) for r in range(sheet.row_count) for c in range(sheet.column_count)], job.loaded.file


def test_the_2_target_tables_of_2020_load_without_warnings():
    tables = forms("目标表")
    assert sorted(loaded.project.name for loaded in tables) == ["城管执法人员教育培训", "城管执法监督考核"]
    assert [w for loaded in tables for w in loaded.warnings] == []
    assert all(list(loaded.project.indicators) == ["投入与管理", "产出目标", "效果目标", "影响力目标"] for loaded in tables)


def test_2024_declarations_put_cost_indicators_first():
    for loaded in forms("申报表"):
        if loaded.project.year == 2024:
            assert list(loaded.project.indicators)[0] == "成本指标", loaded.file
