"""Incremental builds, stale outputs, collisions, the 汇总表, atomic writes, watch."""

import threading
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from formgen import workspace as building
from formgen.cli import main
from formgen.writers import xlsx
from projects import DECLARATION, SELF_EVALUATION, declaration
from readback import compare_folders

UNIT = "表单: 申报表\n年度: 2023\n汇总表标题: 某局2023年度项目绩效目标汇总表\n"


def make_workspace(workspace, names=("甲项目", "乙项目", "丙项目")):
    workspace.write("ws/某局/formgen.yaml", UNIT)
    for name in names:
        workspace.write(f"ws/某局/{name}.yaml", declaration(项目名称=f"项目名称: {name}"))
    return workspace.root / "ws"


def run_build(workspace, formats=("xlsx",), **options):
    return building.build([workspace.root / "ws"], workspace.root / "out", formats, jobs=1, **options)


def names(forms):
    return sorted(f.name for f in forms)


def test_a_second_build_renders_nothing(workspace):
    make_workspace(workspace)
    first = run_build(workspace)
    assert names(first.built) == ["丙项目", "乙项目", "甲项目"] and first.ok
    second = run_build(workspace)
    assert second.built == [] and names(second.unchanged) == ["丙项目", "乙项目", "甲项目"]
    assert second.compilations == [] and second.ok


def test_only_the_edited_project_is_rendered_again(workspace):
    make_workspace(workspace)
    run_build(workspace)
    workspace.write("ws/某局/乙项目.yaml", declaration(项目名称="项目名称: 乙项目", 课题数量="课题数量: =8.00(个)"))
    report = run_build(workspace)
    assert names(report.built) == ["乙项目"] and len(report.unchanged) == 2
    assert [p.name for p in report.compilations] == ["某局2023年度项目绩效目标汇总表.xlsx"]


def test_touching_a_file_without_changing_it_renders_nothing(workspace):
    root = make_workspace(workspace)
    run_build(workspace)
    (root / "某局" / "甲项目.yaml").touch()
    assert run_build(workspace).built == []


def test_inherited_settings_templates_and_formats_are_inputs(workspace):
    make_workspace(workspace)
    run_build(workspace)
    workspace.write("ws/某局/formgen.yaml", UNIT + "主管部门: 某委员会\n")
    assert len(run_build(workspace).built) == 3
    workspace.write("ws/templates/form.css", "/* a workspace's own stylesheet */\n")
    assert len(run_build(workspace).built) == 3
    assert len(run_build(workspace, formats=("docx",)).built) == 3


def test_a_deleted_or_renamed_project_leaves_no_outputs(workspace):
    root = make_workspace(workspace)
    run_build(workspace, formats=("xlsx", "docx"))
    out = workspace.root / "out" / "某局"
    (root / "某局" / "丙项目.yaml").unlink()
    workspace.write("ws/某局/乙项目.yaml", declaration(项目名称="项目名称: 乙项目（新）"))
    report = run_build(workspace, formats=("xlsx", "docx"))
    assert sorted(p.name for p in report.removed) == ["丙项目.docx", "丙项目.xlsx", "乙项目.docx", "乙项目.xlsx"]
    assert sorted(p.name for p in out.iterdir()) == [
        "乙项目（新）.docx", "乙项目（新）.xlsx", "某局2023年度项目绩效目标汇总表.docx", "某局2023年度项目绩效目标汇总表.xlsx",
        "甲项目.docx", "甲项目.xlsx"]


def test_a_project_that_now_fails_keeps_its_last_outputs_and_the_compilation(workspace):
    make_workspace(workspace)
    run_build(workspace)
    out = workspace.root / "out" / "某局"
    before = (out / "某局2023年度项目绩效目标汇总表.xlsx").read_bytes()
    workspace.write("ws/某局/乙项目.yaml", declaration(项目名称="项目名称: 乙项目", 财政资金="财政资金: 很多"))
    report = run_build(workspace)
    assert not report.ok and report.removed == []
    assert (out / "乙项目.xlsx").is_file()
    assert (out / "某局2023年度项目绩效目标汇总表.xlsx").read_bytes() == before
    messages = [p.message for problems in report.failed for p in problems]
    assert any("未更新" in m for m in messages)
    workspace.write("ws/某局/乙项目.yaml", declaration(项目名称="项目名称: 乙项目"))
    repaired = run_build(workspace)
    assert repaired.ok and names(repaired.built) == ["乙项目"] and repaired.compilations


def test_two_projects_with_one_output_name_both_fail_and_nothing_is_written(workspace):
    workspace.write("ws/一.yaml", DECLARATION)
    workspace.write("ws/二.yaml", DECLARATION)
    report = run_build(workspace)
    assert len(report.failed) == 2 and report.built == []
    for problems in report.failed:
        assert "一.yaml" in problems[0].message and "二.yaml" in problems[0].message
    assert not list((workspace.root / "out").glob("*.xlsx"))


def test_a_collision_with_an_unchanged_project_overwrites_nothing(workspace):
    workspace.write("ws/一.yaml", DECLARATION)
    run_build(workspace)
    before = (workspace.root / "out" / "课题研究.xlsx").read_bytes()
    workspace.write("ws/二.yaml", declaration(课题数量="课题数量: =9(个)"))
    report = run_build(workspace)
    assert len(report.failed) == 2
    assert (workspace.root / "out" / "课题研究.xlsx").read_bytes() == before


def test_compilation_follows_the_users_order_in_every_format(workspace):
    make_workspace(workspace)
    workspace.write("ws/某局/formgen.yaml", UNIT + "顺序: [丙项目, 甲项目]\n")
    report = run_build(workspace, formats=("docx", "xlsx", "pdf"))
    assert report.ok
    out = workspace.root / "out" / "某局"
    stem = out / "某局2023年度项目绩效目标汇总表"
    assert openpyxl.load_workbook(f"{stem}.xlsx").sheetnames == ["目录", "丙项目", "甲项目", "乙项目"]
    reader = PdfReader(f"{stem}.pdf")
    assert [item.title for item in reader.outline] == ["丙项目", "甲项目", "乙项目"]
    forms_pages = sum(len(PdfReader(out / f"{n}.pdf").pages) for n in ("甲项目", "乙项目", "丙项目"))
    assert len(reader.pages) == 1 + forms_pages  # the title page, then each form from a new page
    assert "某局2023年度项目绩效目标汇总表" in reader.pages[0].extract_text()
    first_form = reader.pages[1].extract_text()
    assert "丙项目" in first_form and "甲项目" not in first_form
    import docx

    document = docx.Document(f"{stem}.docx")
    assert len(document.sections) == 4  # the title, then a section (a new page) per form
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts[0] == "某局2023年度项目绩效目标汇总表"


def test_compilation_index_sheet_links_every_form(workspace):
    make_workspace(workspace)
    run_build(workspace)
    workbook = openpyxl.load_workbook(workspace.root / "out" / "某局" / "某局2023年度项目绩效目标汇总表.xlsx")
    index = workbook["目录"]
    rows = list(index.iter_rows(min_row=2, max_row=5, values_only=True))
    assert rows[0] == ("序号", "项目名称", "项目资金（元）", "表单")
    assert [r[:2] for r in rows[1:]] == [(1, "丙项目"), (2, "乙项目"), (3, "甲项目")]
    assert rows[1][2] == 400000 and index["C3"].number_format == xlsx.MONEY_FORMAT
    assert index["B3"].hyperlink.location == "'丙项目'!A1"


def test_sheet_names_are_valid_unique_and_short():
    taken = {"目录"}
    long_name = "上海市城市管理行政执法局关于城管执法队伍规范化建设的专项经费项目（第一期）"
    first = xlsx.sheet_title(long_name, taken)
    taken.add(first)
    second = xlsx.sheet_title(long_name, taken)
    assert len(first) == 31 and len(second) <= 31 and first != second and second.endswith("(2)")
    assert xlsx.sheet_title("a/b:c*d?e[f]g\\h") == "a_b_c_d_e_f_g_h"
    assert xlsx.sheet_title("目录", taken) == "目录(2)"


def test_mixed_forms_keep_their_orientation_in_the_compilation(workspace):
    workspace.write("ws/某局/formgen.yaml", "汇总表标题: 某局汇总表\n")
    workspace.write("ws/某局/申报.yaml", DECLARATION)
    workspace.write("ws/某局/自评.yaml", SELF_EVALUATION)
    run_build(workspace, formats=("docx",))
    import docx

    sections = docx.Document(workspace.root / "out" / "某局" / "某局汇总表.docx").sections
    assert [round(s.page_width.mm) for s in sections] == [210, 210, 297]


def test_a_failed_write_leaves_the_previous_file_intact(workspace, monkeypatch):
    make_workspace(workspace, names=("甲项目",))
    run_build(workspace)
    target = workspace.root / "out" / "某局" / "甲项目.xlsx"
    before = target.read_bytes()
    workspace.write("ws/某局/甲项目.yaml", declaration(项目名称="项目名称: 甲项目", 课题数量="课题数量: =9(个)"))

    def broken(sheet, path):
        Path(path).write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(xlsx, "write", broken)
    report = run_build(workspace)
    assert not report.ok and "disk full" in report.failed[0][0].message
    assert target.read_bytes() == before
    assert not list(target.parent.glob(".*.tmp"))


def test_leftovers_of_a_killed_build_are_cleaned(workspace):
    make_workspace(workspace, names=("甲项目",))
    leftover = workspace.write("out/某局/.甲项目.xlsx.999.tmp", "partial")
    run_build(workspace)
    assert not leftover.exists()


def test_cli_summary_and_exit_code(workspace):
    make_workspace(workspace)
    workspace.write("ws/某局/坏项目.yaml", declaration(项目名称="项目名称: 坏项目", 财政资金="财政资金: 很多"))
    result = CliRunner().invoke(main, ["build", "ws", "-o", "out", "-f", "xlsx", "-j", "2"])
    assert result.exit_code == 1
    assert "生成 3 个表单" in result.output and "失败 2 个" in result.output  # the project, and its unit's 汇总表
    assert result.output.count("已生成") == 3
    again = CliRunner().invoke(main, ["build", "ws", "-o", "out", "-f", "xlsx"])
    assert again.exit_code == 1 and "未改动 3 个" in again.output


def test_parallel_and_serial_builds_write_the_same_files(workspace):
    make_workspace(workspace)
    workspace.write("ws/某局/自评.yaml", SELF_EVALUATION)
    serial = building.build([workspace.root / "ws"], workspace.root / "a", None, jobs=1)
    parallel = building.build([workspace.root / "ws"], workspace.root / "b", None, jobs=2)
    assert serial.ok and parallel.ok
    assert names(serial.built) == names(parallel.built) == sorted(["甲项目", "乙项目", "丙项目", "行政复议受理和行政诉讼应诉工作"])
    files, differing = compare_folders(workspace.root / "a", workspace.root / "b")
    assert len(files) == 3 * 4 + 3  # every form and the 汇总表, in each format
    assert differing == []


def test_a_units_compilation_is_written_as_soon_as_its_forms_are(workspace):
    """Each 汇总表 starts once the last of its forms is written, before the forms of other units."""
    workspace.write("ws/甲局/formgen.yaml", UNIT.replace("某局", "甲局"))
    workspace.write("ws/甲局/一.yaml", declaration(项目名称="项目名称: 一"))
    workspace.write("ws/乙局/formgen.yaml", UNIT.replace("某局", "乙局"))
    for name in ("二", "三"):
        workspace.write(f"ws/乙局/{name}.yaml", declaration(项目名称=f"项目名称: {name}"))
    labels = []
    building.build([workspace.root / "ws"], workspace.root / "out", ("xlsx",), jobs=1,
                   on_progress=lambda done, total, label, ok: labels.append(label))
    assert labels == ["乙局/三", "乙局/二", "乙局/汇总表 乙局2023年度项目绩效目标汇总表（XLSX）",  # 乙 sorts first
                      "甲局/一", "甲局/汇总表 甲局2023年度项目绩效目标汇总表（XLSX）"]


def test_a_build_leaves_no_font_copies_in_the_temporary_folder(workspace, tmp_path):
    """WeasyPrint copies the cut faces (8 MB) into a temporary folder in every process that prints
    a PDF; each process removes its own when it ends, workers included."""
    import os
    import subprocess
    import sys

    make_workspace(workspace)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    completed = subprocess.run([sys.executable, "-m", "formgen", "build", "ws", "-o", "out", "-f", "pdf", "-j", "2"],
                               cwd=workspace.root, env={**os.environ, "TMPDIR": str(temporary)}, capture_output=True)
    assert completed.returncode == 0, completed.stderr.decode()
    assert len(list((workspace.root / "out" / "某局").glob("*.pdf"))) == 4  # three forms and their 汇总表
    assert list(temporary.iterdir()) == []


def test_watch_rebuilds_after_a_save(workspace):
    from formgen.workspace.watch import watch

    make_workspace(workspace, names=("甲项目",))
    builds = []
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=([workspace.root / "ws"], workspace.root / "out", ("xlsx",), 1, 0.05,
                                                  builds.append, pytest.fail, stop.is_set))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not builds and time.monotonic() < deadline:
            time.sleep(0.05)
        assert names(builds[0].built) == ["甲项目"]
        workspace.write("ws/某局/乙项目.yaml", declaration(项目名称="项目名称: 乙项目"))
        while len(builds) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert names(builds[1].built) == ["乙项目"]
    finally:
        stop.set()
        thread.join(timeout=20)
    assert not thread.is_alive()


def test_building_one_file_leaves_the_rest_of_the_output_alone(workspace):
    root = make_workspace(workspace)
    run_build(workspace)
    out = workspace.root / "out"
    before = sorted(p.name for p in (out / "某局").iterdir())
    # A file named alone mirrors from its own folder: its form moves to out/, the rest stays.
    report = building.build([root / "某局" / "甲项目.yaml"], out, ("xlsx",), jobs=1)
    assert names(report.built) == ["甲项目"] and report.compilations == []
    assert [p.name for p in report.removed] == ["甲项目.xlsx"] and (out / "甲项目.xlsx").is_file()
    assert sorted(p.name for p in (out / "某局").iterdir()) == [n for n in before if n != "甲项目.xlsx"]
    again = run_build(workspace)
    assert names(again.built) == ["甲项目"] and [p.parent.name for p in again.removed] == ["out"]
    assert sorted(p.name for p in (out / "某局").iterdir()) == before


def test_an_interrupted_build_loses_nothing_and_the_next_one_finishes(workspace, monkeypatch):
    make_workspace(workspace)
    run_build(workspace)
    out = workspace.root / "out" / "某局"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    workspace.write("ws/templates/form.css", "/* changed: every form is to be rebuilt */\n")
    real_write, calls = xlsx.write, []

    def interrupted(sheet, path):
        calls.append(sheet.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_write(sheet, path)

    monkeypatch.setattr(xlsx, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_build(workspace)
    assert sorted(p.name for p in out.iterdir()) == sorted(before)  # nothing removed, nothing half-written
    monkeypatch.setattr(xlsx, "write", real_write)
    finished = run_build(workspace)
    assert finished.ok and len(finished.built) == 2 and finished.compilations  # the two not done before
    assert sorted(p.name for p in out.iterdir()) == sorted(before)


def test_a_declaration_and_its_self_evaluation_share_a_folder(workspace):
    workspace.write("ws/申报.yaml", DECLARATION)
    workspace.write("ws/自评.yaml", SELF_EVALUATION.replace("项目名称: 行政复议受理和行政诉讼应诉工作", "项目名称: 课题研究"))
    report = run_build(workspace)
    assert report.ok
    assert sorted(p.name for p in (workspace.root / "out").glob("*.xlsx")) == ["课题研究-自评表.xlsx", "课题研究.xlsx"]
