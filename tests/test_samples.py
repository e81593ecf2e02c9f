"""Every seed form is a sample project that builds, and the 自评表 figures equal the printed ones."""

from formgen.workspace import check
from formgen.layout import Layouts
from conftest import SAMPLES

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


def test_all_15_self_evaluations_compute_the_printed_figures():
    # Each sample carries the figures printed on its form (预算执行得分, 总分, 评分等级 and
    # the total 执行率); loading checks every one against formgen's computation, so a sample
    # that loads without error computes exactly what was printed.
    evaluations = forms("自评表")
    assert len(evaluations) == 15
    for loaded in evaluations:
        project = loaded.project
        assert project.total_given is not None and project.total_given == project.total_score, loaded.file
        assert project.grade_given == project.grade, loaded.file
        assert project.budget_score_given == project.budget_score, loaded.file
        assert project.funding.total_given.rate_given == project.funding.total.rate, loaded.file
        assert not any(p.is_error for p in loaded.warnings)


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
