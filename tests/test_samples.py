"""Every seed 申报表 is a sample project that loads without a problem."""

from conftest import SAMPLES

from formgen.build import check
from formgen.layout import Layouts


def test_all_46_declarations_load_cleanly():
    report = check([SAMPLES])
    assert report.failed == []
    assert report.warnings == []
    declarations = [job for job in report.done if job.loaded.project.form == "申报表"]
    assert len(declarations) == 46
    assert {job.loaded.project.year for job in declarations} == {2023, 2024}


def test_every_sample_lays_out_to_a_full_grid():
    layouts = Layouts()
    for job in check([SAMPLES]).done:
        sheet = layouts.sheet(job.loaded.project)
        slots = sorted((r2, c2) for r, c, rs, cs, _ in sheet.grid() for r2 in range(r, r + rs) for c2 in range(c, c + cs))
        assert slots == [(r, c) for r in range(sheet.row_count) for c in range(sheet.column_count)], job.loaded.file


def test_2024_samples_put_cost_indicators_first():
    for job in check([SAMPLES]).done:
        project = job.loaded.project
        if project.year == 2024:
            assert list(project.indicators)[0] == "成本指标", job.loaded.file
