"""The command line as users run it: a batch with bad projects, check, formats, messages."""

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from projects import DECLARATION, declaration, line_of
from readback import docx_headings, pdf_text

from formgen.cli import main
from formgen.layout import BUILTIN_TEMPLATES


def run(*args):
    return CliRunner().invoke(main, list(args))


def outputs(folder):
    """Names of the files a build wrote into ``folder``, leaving out its hidden record."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_bad_projects_fail_alone_and_the_exit_code_says_so(workspace):
    workspace.write("单位/好项目.yaml", DECLARATION)
    cases = {
        "金额.yaml": declaration(项目名称="项目名称: 金额错", 财政资金="财政资金: 四十万"),
        "合计.yaml": declaration(项目名称="项目名称: 合计错", 财政资金="财政资金: 1.00"),
        "日期.yaml": declaration(项目名称="项目名称: 日期错", 计划完成日期="计划完成日期: 2022-01-01"),
        "引号.yaml": declaration(项目名称="项目名称: 引号错", 课题数量="课题数量: >4(次)"),
        "重复.yaml": declaration(项目名称="项目名称: 重复错") + "项目名称: 再写一次\n",
        "空指标.yaml": declaration(项目名称="项目名称: 空指标").replace(
            "  满意度指标:\n    服务对象满意度指标:\n      牵头处室满意度: ≥90(%)\n", "  满意度指标:\n"),
    }
    for name, text in cases.items():
        workspace.write(f"单位/{name}", text)
    result = run("build", "单位", "-o", "out")
    assert result.exit_code == 1
    assert outputs(workspace.root / "out") == ["课题研究.docx", "课题研究.pdf", "课题研究.xlsx"]
    expected_lines = {
        "金额.yaml": f"单位/金额.yaml:{line_of(cases['金额.yaml'], '财政资金')}: 项目资金.财政资金:",
        "合计.yaml": f"单位/合计.yaml:{line_of(cases['合计.yaml'], '项目资金总额')}: 项目资金.项目资金总额:",
        "日期.yaml": f"单位/日期.yaml:{line_of(cases['日期.yaml'], '计划完成日期')}: 计划完成日期:",
        "引号.yaml": f"单位/引号.yaml:{line_of(cases['引号.yaml'], '课题数量')}:",
        "重复.yaml": f"单位/重复.yaml:{len(cases['重复.yaml'].splitlines())}: 项目名称:",
        "空指标.yaml": f"单位/空指标.yaml:{line_of(cases['空指标.yaml'], '满意度指标')}: 绩效指标.满意度指标:",
    }
    for name, start in expected_lines.items():
        assert f"错误：{start}" in result.output, (name, result.output)
    assert "失败 6 个" in result.output
    assert "Traceback" not in result.output


def test_check_writes_nothing(workspace):
    workspace.write("项目.yaml", DECLARATION)
    result = run("check", ".")
    assert result.exit_code == 0, result.output
    assert "检查通过 1 个项目" in result.output
    assert sorted(p.name for p in workspace.root.iterdir()) == ["项目.yaml"]


def test_check_reports_warnings_without_failing(workspace):
    workspace.write("项目.yaml", declaration(课题数量="课题数量: =7.0.0(个)"))
    result = run("check", "项目.yaml")
    assert result.exit_code == 0
    assert f"警告：项目.yaml:{line_of(DECLARATION, '课题数量')}: 绩效指标.产出指标.数量指标.课题数量:" in result.output


def test_formats_option_builds_only_those(workspace):
    workspace.write("a/项目.yaml", DECLARATION)
    result = run("build", "a", "-o", "out", "-f", "docx,xlsx")
    assert result.exit_code == 0, result.output
    assert sorted(Path(name).suffix for name in outputs(workspace.root / "out")) == [".docx", ".xlsx"]
    assert run("build", "a", "-f", "doc").exit_code == 2


def test_formats_default_from_formgen_yaml(workspace):
    workspace.write("a/formgen.yaml", "格式: [pdf]\n")
    workspace.write("a/项目.yaml", DECLARATION)
    assert run("build", "a", "-o", "out").exit_code == 0
    assert outputs(workspace.root / "out") == ["课题研究.pdf"]


def test_output_tree_mirrors_input_and_names_are_safe(workspace):
    workspace.write("ws/单位甲/项目.yaml", declaration(项目名称="项目名称: 甲/乙:丙"))
    assert run("build", "ws", "-o", "out", "-f", "xlsx").exit_code == 0
    assert (workspace.root / "out" / "单位甲" / "甲_乙_丙.xlsx").is_file()


def test_two_projects_with_one_output_name_both_fail(workspace):
    workspace.write("ws/一.yaml", DECLARATION)
    workspace.write("ws/二.yaml", DECLARATION)
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 1
    assert result.output.count("与其他项目输出到同一文件") == 2
    assert not (workspace.root / "out").exists() or not any((workspace.root / "out").rglob("*.xlsx"))


def test_bad_formgen_yaml_fails_its_projects_only(workspace):
    workspace.write("ws/甲/formgen.yaml", "单位: 某单位\n")
    workspace.write("ws/甲/项目.yaml", DECLARATION)
    workspace.write("ws/乙/项目.yaml", DECLARATION)
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 1
    assert "错误：ws/甲/formgen.yaml:1: 单位: formgen.yaml 不认识此字段" in result.output
    assert (workspace.root / "out" / "乙" / "课题研究.xlsx").is_file()


def test_missing_path_is_an_error(workspace):
    result = run("check", "没有这个目录")
    assert result.exit_code == 1 and "路径不存在" in result.output


def test_workspace_template_overrides_the_builtin_one_in_every_format(workspace):
    builtin = (BUILTIN_TEMPLATES / "申报表.html").read_text(encoding="utf-8")
    workspace.write("ws/templates/申报表.html", builtin.replace("<h1>财政项目支出绩效目标申报表</h1>", "<h1>某区项目绩效目标申报表</h1>"))
    workspace.write("ws/项目.yaml", DECLARATION)
    result = run("build", "ws", "-o", "out")
    assert result.exit_code == 0, result.output
    out = workspace.root / "out"
    assert docx_headings(out / "课题研究.docx")[0] == "某区项目绩效目标申报表"
    assert openpyxl.load_workbook(out / "课题研究.xlsx").active["A1"].value == "某区项目绩效目标申报表"
    assert "某区项目绩效目标申报表" in pdf_text(out / "课题研究.pdf")
    assert not (out / "templates").exists()


def test_a_unit_folders_own_templates_apply_to_its_projects_only(workspace):
    builtin = (BUILTIN_TEMPLATES / "申报表.html").read_text(encoding="utf-8")
    workspace.write("ws/甲/templates/申报表.html", builtin.replace("<h1>财政项目支出绩效目标申报表</h1>", "<h1>甲区申报表</h1>"))
    workspace.write("ws/甲/项目.yaml", DECLARATION)
    workspace.write("ws/乙/项目.yaml", DECLARATION)
    result = run("build", "ws", "-o", "out", "-f", "docx")
    assert result.exit_code == 0, result.output
    assert docx_headings(workspace.root / "out" / "甲" / "课题研究.docx")[0] == "甲区申报表"
    assert docx_headings(workspace.root / "out" / "乙" / "课题研究.docx")[0] == "财政项目支出绩效目标申报表"


@pytest.mark.parametrize("payload", [
    '{{ cycler.__init__.__globals__.os.popen("echo HACKED").read() }}',
    '{{ p.__class__.__mro__[1].__subclasses__() }}',
    '{{ money.__globals__ }}',
    '{{ p.indicators.clear() }}',
    '{{ lipsum.__globals__["os"].popen("echo HACKED").read() }}',
])
def test_a_shared_templates_folder_cannot_run_code(workspace, payload):
    builtin = (BUILTIN_TEMPLATES / "申报表.html").read_text(encoding="utf-8")
    workspace.write("ws/templates/申报表.html", builtin.replace("<h1>财政项目支出绩效目标申报表</h1>", f"<h1>{payload}</h1>"))
    workspace.write("ws/项目.yaml", DECLARATION)
    result = run("build", "ws", "-o", "out", "-f", "docx")
    assert result.exit_code == 1 and "模板" in result.output, result.output
    assert "HACKED" not in result.output and "Traceback" not in result.output
    assert not (workspace.root / "out" / "课题研究.docx").exists()


WARNED = declaration(年度="年度: 2023").replace("  效益指标:", "  奇怪指标:")  # an unusual 一级: a warning


def test_warnings_are_shown_for_rebuilt_projects_and_counted_for_the_rest(workspace):
    workspace.write("ws/甲/项目.yaml", WARNED)
    first = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert first.exit_code == 0 and first.output.count("警告：") == 1
    workspace.write("ws/乙/项目.yaml", DECLARATION)
    second = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert second.exit_code == 0 and "警告：" not in second.output
    assert "警告 1 条（1 条属未改动的项目，不再列出）" in second.output
    assert run("check", "ws").output.count("警告：") == 1  # check shows them all


def test_quiet_and_strict(workspace):
    workspace.write("ws/项目.yaml", WARNED)
    quiet = run("check", "ws", "-q")
    assert quiet.exit_code == 0 and "警告：" not in quiet.output and "警告 1 条" in quiet.output
    strict = run("check", "ws", "--strict")
    assert strict.exit_code == 1 and "有警告（--strict）" in strict.output
    assert run("build", "ws", "-o", "out", "-f", "xlsx", "--strict").exit_code == 1


def test_progress_names_each_form_with_its_folder_and_counts_the_compilations(workspace):
    workspace.write("ws/甲/formgen.yaml", "汇总表标题: 甲汇总表\n")
    workspace.write("ws/甲/项目.yaml", DECLARATION)
    workspace.write("ws/乙/项目.yaml", DECLARATION.replace("项目名称: 课题研究", "项目名称: 课题研究二"))
    result = run("build", "ws", "-o", "out", "-f", "xlsx,docx")
    assert "已生成 甲/课题研究" in result.output and "已生成 乙/课题研究二" in result.output
    assert "已生成 甲/汇总表 甲汇总表" in result.output


@pytest.mark.parametrize("args", [["build", "--nope"], ["buidl"], ["new"], ["new", "自评表", "--from", "无.yaml"],
                                  ["import"], ["build", "-j", "0"], ["build", "-f", "doc"], ["-h"], ["build", "-h"],
                                  ["schema", "-h"], ["watch", "-h"], ["check", "-h"], ["init", "-h"], ["import", "-h"]])
def test_every_line_the_user_sees_is_chinese(workspace, args):
    result = run(*args)
    for english in ("Usage", "Options", "Error", "No such", "Missing", "Did you mean", "Show this", "Invalid value",
                    "does not exist", "Try '", "INTEGER", "PATHS", "COMMAND", "[OPTIONS]", "Choose from", "Aborted"):
        assert english not in result.output, (args, english, result.output)
    if args[-1] == "-h" and args[0] != "-h":
        assert "示例：" in result.output


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_without_pango_docx_and_xlsx_are_built_and_pdf_is_reported_once(workspace, jobs):
    import subprocess
    import sys

    fake = workspace.root / "no-pango" / "weasyprint"  # what WeasyPrint does where Pango is missing
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise OSError(\"cannot load library 'libgobject-2.0-0'\")\n", encoding="utf-8")
    workspace.write("ws/某局/formgen.yaml", "汇总表标题: 某局汇总表\n")
    workspace.write("ws/某局/甲.yaml", DECLARATION)
    workspace.write("ws/某局/乙.yaml", DECLARATION.replace("项目名称: 课题研究", "项目名称: 课题研究二"))
    env = {**__import__("os").environ, "PYTHONPATH": str(workspace.root / "no-pango")}
    command = [sys.executable, "-m", "formgen", "build", "ws", "-o", "out", "-j", jobs]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=workspace.root)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in output, output
    assert output.count("Pango") == 1 and "sudo apt install" in output and "-f docx,xlsx" in output
    assert "生成 2 个表单" in output
    out = workspace.root / "out" / "某局"
    assert {p.name for p in out.iterdir()} >= {"课题研究.docx", "课题研究.xlsx", "课题研究二.docx", "课题研究二.xlsx",
                                                 "某局汇总表.docx", "某局汇总表.xlsx"}
    assert not list(out.glob("*.pdf"))
    asked = subprocess.run(command + ["-f", "docx,xlsx"], capture_output=True, text=True, env=env, cwd=workspace.root)
    assert asked.returncode == 0 and "Pango" not in asked.stdout + asked.stderr, asked.stdout + asked.stderr
