"""What an attack on formgen tried, as invariants: nothing run, nothing lost, nothing hangs,
every bad input a message with its file (and line) while the rest of the batch builds.

Each test attacks an invariant with inputs of its own; the loader and the importer are also
fed generated inputs (Hypothesis) and must answer every one with a result or a ProjectError.
"""

import json
import os
import threading
import time
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from projects import DECLARATION, declaration

from formgen import workspace as building
from formgen.cli import main
from formgen.commands.importing import import_files
from formgen.errors import FormgenError, ProjectError
from formgen.load import Settings, load_file
from formgen.load.yamlread import read_documents
from formgen.workspace.lock import output_lock

UNIT = "表单: 申报表\n年度: 2023\n汇总表标题: 某局汇总表\n"


def run(*args):
    return CliRunner().invoke(main, list(args))


def unit(workspace, names=("甲", "乙", "丙")):
    workspace.write("ws/某局/formgen.yaml", UNIT)
    for name in names:
        workspace.write(f"ws/某局/{name}.yaml", declaration(项目名称=f"项目名称: {name}"))


def files_under(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != ".formgen-lock"}


# --- the build record never deletes what formgen did not write -------------------------------

@pytest.mark.parametrize("victim", ["outside.txt", "out/某局/手写的说明.docx"])
def test_a_crafted_record_deletes_nothing_formgen_did_not_write(workspace, victim):
    unit(workspace)
    assert run("build", "ws", "-o", "out", "-f", "xlsx").exit_code == 0
    target = workspace.write(victim, "keep me")
    state_file = workspace.root / "out" / ".formgen-state.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    record = next(iter(state["sources"].values()))
    record["forms"][0]["files"].append(str(target))  # as if formgen had written it
    state["hashes"][str(target)] = "0" * 64
    state_file.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    (workspace.root / "ws" / "某局" / "甲.yaml").unlink()  # now that record is stale
    assert run("build", "ws", "-o", "out", "-f", "xlsx").exit_code == 0
    assert target.read_text() == "keep me"


def test_an_output_the_user_edited_is_not_deleted_when_its_project_goes(workspace):
    unit(workspace)
    assert run("build", "ws", "-o", "out", "-f", "xlsx").exit_code == 0
    edited = workspace.root / "out" / "某局" / "甲.xlsx"
    edited.write_bytes(edited.read_bytes() + b"\0")
    (workspace.root / "ws" / "某局" / "甲.yaml").unlink()
    assert run("build", "ws", "-o", "out", "-f", "xlsx").exit_code == 0
    assert edited.exists() and not (workspace.root / "out" / "某局" / "乙.xlsx").stat().st_size == 0


@pytest.mark.parametrize("content", ["[]", '{"version": 1}', "{}", "null", '{"version": "%s", "sources": []}', "\x00\xff"])
def test_a_malformed_record_is_ignored_without_a_crash(workspace, content):
    from formgen.workspace.sources import formgen_version

    unit(workspace)
    (workspace.root / "out").mkdir()
    (workspace.root / "out" / ".formgen-state.json").write_text(content.replace("%s", formgen_version()),
                                                                encoding="utf-8", errors="ignore")
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 0 and "生成 3 个表单" in result.output


# --- errors never delete outputs; each is said once ---------------------------------------

def test_a_bad_formgen_yaml_keeps_every_output_and_is_reported_once(workspace):
    unit(workspace)
    assert run("build", "ws", "-o", "out").exit_code == 0
    before = files_under(workspace.root / "out")
    workspace.write("ws/某局/formgen.yaml", UNIT + "单位: 某单位\n")
    result = run("build", "ws", "-o", "out")
    assert result.exit_code == 1
    assert result.output.count("不认识此字段") == 1
    after = files_under(workspace.root / "out")
    assert {name for name in before if not name.name.startswith(".")} <= set(after)
    assert (workspace.root / "out" / "某局" / "某局汇总表.pdf").read_bytes() == before[
        (workspace.root / "out" / "某局" / "某局汇总表.pdf").relative_to(workspace.root / "out")]


def test_a_missing_input_folder_deletes_nothing(workspace):
    unit(workspace)
    assert run("build", "ws", "-o", "out", "-f", "xlsx").exit_code == 0
    before = set(files_under(workspace.root / "out"))
    (workspace.root / "ws").rename(workspace.root / "ws-renamed")
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 1 and "路径不存在" in result.output
    assert before <= set(files_under(workspace.root / "out"))


def test_a_compilation_never_mixes_a_form_that_could_not_be_written(workspace):
    unit(workspace)
    assert run("build", "ws", "-o", "out", "-f", "pdf").exit_code == 0
    compilation = workspace.root / "out" / "某局" / "某局汇总表.pdf"
    first = compilation.read_bytes()
    blocked = workspace.root / "out" / "某局" / "乙.pdf"
    blocked.unlink()
    blocked.mkdir()  # the form cannot be written where it should go
    for name in ("甲", "乙", "丙"):
        workspace.write(f"ws/某局/{name}.yaml", declaration(项目名称=f"项目名称: {name}").replace("课题", "研究"))
    result = run("build", "ws", "-o", "out", "-f", "pdf")
    assert result.exit_code == 1 and "汇总表" in result.output
    assert compilation.read_bytes() == first  # the last good one, not a mixture
    blocked.rmdir()
    result = run("build", "ws", "-o", "out", "-f", "pdf")
    assert result.exit_code == 0, result.output
    assert compilation.exists() and compilation.read_bytes() != first  # repaired


# --- one build at a time -------------------------------------------------------------------

def test_a_second_build_into_the_same_output_is_refused_with_a_message(workspace):
    unit(workspace)
    (workspace.root / "out").mkdir()
    with output_lock(workspace.root / "out"):
        result = run("build", "ws", "-o", "out")
    assert result.exit_code == 1 and "正在生成到" in result.output and "Traceback" not in result.output
    assert run("build", "ws", "-o", "out", "-f", "xlsx").exit_code == 0  # free again afterwards


def test_concurrent_builds_leave_a_complete_compilation(workspace):
    unit(workspace)
    outcomes = []

    def attempt(paths):
        try:
            outcomes.append(building.build(paths, workspace.root / "out", ("xlsx",), jobs=1).ok)
        except FormgenError:
            outcomes.append("busy")

    threads = [threading.Thread(target=attempt, args=([workspace.root / "ws"],)),
               threading.Thread(target=attempt, args=([workspace.root / "ws" / "某局"],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert True in outcomes
    report = building.build([workspace.root / "ws"], workspace.root / "out", ("xlsx",), jobs=1)
    assert report.ok
    workbook = openpyxl.load_workbook(workspace.root / "out" / "某局" / "某局汇总表.xlsx")
    assert workbook.sheetnames == ["目录", "丙", "乙", "甲"]


# --- bad outputs: messages, not tracebacks ----------------------------------------------------

def test_an_output_that_is_a_file_is_a_message(workspace):
    unit(workspace)
    workspace.write("out", "a file")
    result = run("build", "ws", "-o", "out")
    assert result.exit_code == 1 and "不是目录" in result.output and "Traceback" not in result.output


def test_an_output_folder_that_cannot_be_made_is_a_message(workspace):
    unit(workspace)
    workspace.write("a-file", "")
    result = run("build", "ws", "-o", "a-file/out")  # its parent is a file: no folder can be made there
    assert result.exit_code == 1 and "无法写入输出目录" in result.output and "Traceback" not in result.output


# --- the loader: every input an answer, never a crash or a hang -------------------------------

@pytest.mark.parametrize("text, message", [
    ("a: &x [1]\nb: *x\n", "别名"),
    ("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n", "别名"),
    ("a: " + "[" * 1000 + "]" * 1000 + "\n", "层级过深"),
    ("表单: 申报表\na:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)), "层级过深"),
    ("表单: 申报表\n项目名称: 甲\x01乙\n", "控制字符"),
    ("表单: 申报表\n项目名称: 甲\t乙: 丙\n", "制表符"),
])
def test_hostile_yaml_gets_a_message_with_its_line(text, message):
    with pytest.raises(ProjectError) as caught:
        read_documents(text, "x.yaml")
    assert message in str(caught.value) and caught.value.problems[0].line is not None


@pytest.mark.parametrize("amount", ["1e26", "1e309", "100000000000000000000", "999999999999999.99", "NaN", "-0.5"])
def test_absurd_amounts_are_refused_with_a_message(workspace, amount):
    path = workspace.write("x.yaml", declaration(项目资金总额=f"项目资金总额: {amount}"))
    [result] = load_file(path, Settings())
    assert isinstance(result, ProjectError) and "项目资金.项目资金总额" in str(result)


def test_an_empty_project_name_is_an_error_not_an_unnamed_form(workspace):
    path = workspace.write("x.yaml", declaration(项目名称='项目名称: ""'))
    [result] = load_file(path, Settings())
    assert isinstance(result, ProjectError) and "项目名称" in str(result) and "不能为空" in str(result)


def test_a_text_longer_than_a_spreadsheet_cell_holds_is_refused(workspace):
    path = workspace.write("x.yaml", declaration(项目性质="项目性质: " + "很长" * 20000))
    [result] = load_file(path, Settings())
    assert isinstance(result, ProjectError) and "文本过长" in str(result)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_loads_or_gets_problems(workspace, text):
    path = workspace.root / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass") if False else path.write_bytes(
        text.encode("utf-8", errors="replace"))
    for result in load_file(path, Settings()):
        assert not isinstance(result, ProjectError) or all(p.file for p in result.problems)


_LINES = st.sampled_from(["表单: 申报表", "年度: 2023", "项目名称: 甲", "项目资金:", "  项目资金总额: 1e400",
                          "绩效指标:", "  产出指标:", "    数量指标:", "      课题: =7(个)", "  - a", "a: *x", "&y b: c",
                          "\t缩进", "键：值", "a: {b: c, d}", '"未闭合', "---", "项目名称: CON", "年度: 二〇二三"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_LINES, max_size=12))
def test_any_mix_of_project_lines_loads_or_gets_problems(workspace, lines):
    path = workspace.root / "fuzz.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for result in load_file(path, Settings()):
        assert not isinstance(result, ProjectError) or all(p.file for p in result.problems)


# --- names that file systems refuse ---------------------------------------------------------

def test_reserved_long_and_case_colliding_names(workspace):
    workspace.write("ws/a.yaml", declaration(项目名称="项目名称: CON"))
    workspace.write("ws/b.yaml", declaration(项目名称="项目名称: " + "很长的项目名称" * 20))
    workspace.write("ws/c.yaml", declaration(项目名称="项目名称: Project"))
    workspace.write("ws/d.yaml", declaration(项目名称="项目名称: PROJECT"))
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 1 and "Errno" not in result.output
    assert (workspace.root / "out" / "_CON.xlsx").is_file()
    assert "输出文件名只取前 60 字" in result.output
    assert result.output.count("同一文件") == 2  # Project and PROJECT collide on Windows and macOS


# --- watch under churn --------------------------------------------------------------------

def test_watch_survives_files_replaced_and_dangling_links(workspace):
    from formgen.workspace.watch import watch

    unit(workspace, names=("甲",))
    builds, errors, stop = [], [], threading.Event()
    thread = threading.Thread(target=watch, args=([workspace.root / "ws"], workspace.root / "out", ("xlsx",), 1, 0.02,
                                                  builds.append, errors.append, stop.is_set))
    thread.start()
    try:
        source = workspace.root / "ws" / "某局" / "甲.yaml"
        text = source.read_text(encoding="utf-8")
        os.symlink(workspace.root / "nowhere.yaml", workspace.root / "ws" / "某局" / "断链.yaml")
        for round_ in range(30):  # as git and sync clients do: delete, then write anew
            source.unlink()
            time.sleep(0.005)
            source.write_text(text.replace("课题数量", f"课题数量{round_ % 3}"), encoding="utf-8")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(b.built for b in builds[1:]):
            time.sleep(0.05)
        assert thread.is_alive() and len(builds) >= 2
        assert any("断链.yaml" in str(p) for b in builds for problems in b.failed for p in problems)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert errors == [] and not thread.is_alive()


# --- import: bounded, every message with its cell --------------------------------------------

def test_import_refuses_huge_amounts_and_goes_on_with_the_next_file(workspace, tmp_path):
    from formgen.layout import Layouts
    from formgen.writers import xlsx

    [loaded] = load_file(workspace.write("x.yaml", DECLARATION), Settings())
    sheet = Layouts().sheet(loaded.project)
    good, bad = tmp_path / "好.xlsx", tmp_path / "坏.xlsx"
    xlsx.write(sheet, good)
    workbook = openpyxl.load_workbook(good)
    cell = next(c for row in workbook.active.iter_rows() for c in row if isinstance(c.value, (int, float, Decimal)))
    cell.value = 1e30
    workbook.save(bad)
    results = import_files([bad, good], tmp_path / "out")
    assert results[0].written is None and any(cell.coordinate in p and "过大" in p for p in results[0].problems)
    assert results[1].written is not None


def test_import_of_formulas_without_values_names_the_cells(workspace, tmp_path):
    from formgen.layout import Layouts
    from formgen.writers import xlsx

    [loaded] = load_file(workspace.write("x.yaml", DECLARATION), Settings())
    path = tmp_path / "公式.xlsx"
    xlsx.write(Layouts().sheet(loaded.project), path)
    workbook = openpyxl.load_workbook(path)
    cell = next(c for row in workbook.active.iter_rows() for c in row if isinstance(c.value, (int, float, Decimal)))
    cell.value = "=1+1"  # written by a program that does not compute: no cached value
    workbook.save(path)
    [result] = import_files([path], tmp_path / "out")
    assert result.written is None and any("公式" in p and cell.coordinate in p for p in result.problems)


def test_import_of_a_huge_sheet_is_refused_quickly(tmp_path):
    path = tmp_path / "大.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "财政项目支出绩效目标申报表"
    workbook.active.cell(row=20000, column=1, value="x")
    workbook.save(path)
    started = time.monotonic()
    [result] = import_files([path], tmp_path / "out")
    assert result.written is None and "行" in result.problems[0]
    assert time.monotonic() - started < 30


# --- Ctrl-C -------------------------------------------------------------------------------

def test_ctrl_c_is_said_in_chinese(workspace, monkeypatch):
    unit(workspace)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("formgen.cli.build_workspace", interrupted)
    result = run("build", "ws", "-o", "out")
    assert result.exit_code == 130 and "已中断" in result.output and "Aborted" not in result.output


def test_a_huge_project_file_is_refused_at_once(workspace):
    path = workspace.write("x.yaml", DECLARATION + "# " + "很" * 2_100_000 + "\n")
    started = time.monotonic()
    [result] = load_file(path, Settings())
    assert isinstance(result, ProjectError) and "文件过大" in str(result)
    assert time.monotonic() - started < 5


def test_a_form_with_too_many_indicators_is_refused(workspace):
    many = "".join(f"      指标{i}: =1(个)\n" for i in range(501))
    path = workspace.write("x.yaml", DECLARATION.split("绩效指标:")[0] + "绩效指标:\n  产出指标:\n    数量指标:\n" + many)
    [result] = load_file(path, Settings())
    assert isinstance(result, ProjectError) and "三级指标过多" in str(result)


_CELL_VALUES = st.one_of(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12), st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
                         st.sampled_from(["一级指标", "三级指标", "项目名称", "=1+1", "#NAME?", "", None, "项目资金(万元)"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 30), st.integers(1, 6), _CELL_VALUES), max_size=8))
def test_any_edit_of_a_workbook_imports_or_says_which_cells(workspace, edits):
    from formgen.layout import Layouts
    from formgen.writers import xlsx

    source = workspace.root / "source.xlsx"
    if not source.exists():
        [loaded] = load_file(workspace.write("x.yaml", DECLARATION), Settings())
        xlsx.write(Layouts().sheet(loaded.project), source)
    workbook = openpyxl.load_workbook(source)
    ws = workbook.active
    for row, column, value in edits:
        cell = ws.cell(row=row, column=column)
        if type(cell).__name__ != "MergedCell":
            cell.value = value
    edited = workspace.root / "edited.xlsx"
    workbook.save(edited)
    out = workspace.root / "导入"
    for old in out.glob("*.yaml") if out.exists() else []:
        old.unlink()
    [result] = import_files([edited], out)  # never raises
    if result.written is None:
        assert result.problems and all(isinstance(p, str) and p for p in result.problems)
    else:
        [form] = load_file(result.written, Settings())
        assert not isinstance(form, ProjectError) or all(p.file for p in form.problems)


# --- import of hostile files: bounded where the cost is decided, answered in Chinese ----------
# Each file is a few KB (or one under 1 MB) that once made import allocate gigabytes for a minute
# or raise a traceback; each must now be refused at once with a message naming the file.

def _written_form(tmp_path, suffix):
    from formgen.layout import Layouts
    from formgen.writers import writer

    path = tmp_path / f"表{suffix}"
    [loaded] = load_file(_write(tmp_path / "x.yaml", DECLARATION), Settings())
    writer(suffix[1:]).write(Layouts().sheet(loaded.project), path)
    return path


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _rewritten(path, member, edit, target=None):
    """A copy of the package at ``path`` with ``member``'s text replaced by ``edit(text)``."""
    import zipfile

    target = target or path.with_name("改" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == member:
                data = edit(data.decode("utf-8")).encode("utf-8")
            copy.writestr(item.filename, data)
    return target


def _refused_quickly(path, *words):
    started = time.monotonic()
    [result] = import_files([path], path.parent / "out")
    elapsed = time.monotonic() - started
    assert result.written is None and len(result.problems) == 1, result.problems
    assert path.name in result.problems[0] and all(w in result.problems[0] for w in words), result.problems
    assert elapsed < 20, elapsed  # a bound, not a benchmark: these took 36–87 s and gigabytes before
    return result.problems[0]


def _sheet_xml(text, cells="", merge=""):
    if cells:
        text = text.replace("</sheetData>", cells + "</sheetData>")
    if merge:
        text = text.replace("</mergeCells>", merge + "</mergeCells>")
    return text


@pytest.mark.parametrize("cells, merge", [
    ("", '<mergeCell ref="G1:XFD1048576"/>'),
    ('<row r="4999"><c r="XFD4999" t="inlineStr"><is><t>x</t></is></c></row>', ""),
    ('<row r="1048576"><c r="A1048576"><v>1</v></c></row>', ""),
])
def test_import_refuses_sheet_coordinates_beyond_the_bounds_before_allocating(tmp_path, cells, merge):
    path = _written_form(tmp_path, ".xlsx")
    hostile = _rewritten(path, "xl/worksheets/sheet1.xml", lambda text: _sheet_xml(text, cells, merge))
    _refused_quickly(hostile)


def test_import_refuses_a_hyperlink_over_a_whole_sheet(tmp_path):
    path = _written_form(tmp_path, ".xlsx")
    link = '<hyperlinks><hyperlink ref="A1:XFD1048576" display="x"/></hyperlinks>'
    hostile = _rewritten(path, "xl/worksheets/sheet1.xml",
                         lambda text: text.replace("</mergeCells>", "</mergeCells>" + link, 1))
    _refused_quickly(hostile)


@pytest.mark.parametrize("span", ["2000000000", "65"])
def test_import_refuses_a_docx_cell_spanning_beyond_the_bounds(tmp_path, span):
    path = _written_form(tmp_path, ".docx")
    hostile = _rewritten(path, "word/document.xml",
                         lambda text: text.replace('<w:gridSpan w:val="2"/>', f'<w:gridSpan w:val="{span}"/>', 1))
    _refused_quickly(hostile, "列")


def test_import_bounds_what_a_small_xlsx_unpacks_to(tmp_path):
    import zipfile

    path = _written_form(tmp_path, ".xlsx")
    hostile = tmp_path / "小.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(hostile, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                copy.writestr(item.filename, source.read(item))
                continue
            head, tail = source.read(item).decode("utf-8").split("</sheetData>")
            with copy.open(item.filename, "w", force_zip64=True) as member:  # one cell of 600 MB
                member.write(f'{head}<row r="60"><c r="A60" t="inlineStr"><is><t>'.encode())
                for _ in range(600):
                    member.write(b"x" * 1024 * 1024)
                member.write(f"</t></is></c></row></sheetData>{tail}".encode())
    assert hostile.stat().st_size < 1024 * 1024
    _refused_quickly(hostile, "解压后过大")


_BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                   + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
                   + ']>', "&lol9;")
_EXTERNAL = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>', "&secret;")


@pytest.mark.parametrize("suffix, member", [(".xlsx", "xl/worksheets/sheet1.xml"), (".xlsx", "xl/workbook.xml"),
                                            (".docx", "word/document.xml"), (".docx", "[Content_Types].xml")])
@pytest.mark.parametrize("attack", [_BILLION_LAUGHS, _EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_import_refuses_xml_with_a_doctype(tmp_path, suffix, member, attack):
    prolog, reference = attack
    path = _written_form(tmp_path, suffix)
    hostile = _rewritten(path, member, lambda text: prolog + text.split("?>", 1)[-1].replace(
        "项目名称<", f"项目名称{reference}<", 1))
    _refused_quickly(hostile, "DTD")


def test_import_tells_an_encrypted_file_from_other_ole_files(tmp_path):
    import io

    from msoffcrypto.format.ooxml import OOXMLFile

    path = _written_form(tmp_path, ".xlsx")
    with open(path, "rb") as plain:
        encrypted = io.BytesIO()
        OOXMLFile(plain).encrypt("密码", encrypted)
    (tmp_path / "加密.xlsx").write_bytes(encrypted.getvalue())  # an encrypted workbook is an OLE container
    assert "密码" in _refused_quickly(tmp_path / "加密.xlsx")
    (tmp_path / "坏.xls").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504)  # OLE's magic, then nothing
    assert "损坏" in _refused_quickly(tmp_path / "坏.xls")


@pytest.mark.parametrize("markup", [
    '<table><tr><td colspan="2000000000">财政项目支出绩效目标申报表</td></tr></table>',
    '<table><tr><td rowspan="2000000000">财政项目支出绩效目标申报表</td></tr></table>',
    "<table>" + '<tr><td rowspan="4999" colspan="64">财政项目支出绩效目标申报表</td></tr>' * 3 + "</table>",
])
def test_import_bounds_html_tables_saved_as_xls(tmp_path, markup):
    _refused_quickly(_write(tmp_path / "表.xls", f"<html><body>{markup}</body></html>"))


@pytest.mark.parametrize("cell", [
    '<Cell ss:Index="16384"><Data ss:Type="String">x</Data></Cell>',
    '<Cell ss:MergeDown="1048575"><Data ss:Type="String">x</Data></Cell>',
])
def test_import_bounds_spreadsheetml_coordinates(tmp_path, cell):
    xml = ('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
           'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="表"><Table><Row>'
           f'<Cell><Data ss:Type="String">财政项目支出绩效目标申报表</Data></Cell>{cell}</Row></Table></Worksheet></Workbook>')
    _refused_quickly(_write(tmp_path / "表.xls", xml))


def test_import_refuses_spreadsheetml_with_a_doctype(tmp_path):
    prolog, reference = _BILLION_LAUGHS
    xml = (prolog + '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table><Row><Cell>'
           f'<Data>{reference}</Data></Cell></Row></Table></Worksheet></Workbook>')
    _refused_quickly(_write(tmp_path / "表.xls", xml), "DTD")


def _xls_with(tmp_path, patch):
    """formgen's form saved as .xls by LibreOffice, its BIFF records changed by ``patch(stream)``."""
    import shutil
    import subprocess

    import olefile

    source = _written_form(tmp_path, ".xlsx")
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice is missing: `make test` installs it (scripts/setup-system.sh --office)")
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to",
                    "xls", "--outdir", str(tmp_path), str(source)], capture_output=True, timeout=300, check=True)
    path = source.with_suffix(".xls")
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
        patch(stream)
        ole.write_stream("Workbook", bytes(stream))
    return path


def _records(stream, wanted):
    import struct

    position = 0
    while position + 4 <= len(stream):
        record, length = struct.unpack_from("<HH", stream, position)
        if record == wanted:
            yield position + 4
        position += 4 + length


@pytest.mark.office
def test_import_bounds_xls_cell_and_merge_coordinates(tmp_path):
    import struct

    def far_cell(stream):  # a text cell (LABELSST) moved to the last row and column BIFF8 has
        body = next(_records(stream, 0x00FD))
        struct.pack_into("<HH", stream, body, 65535, 255)

    def whole_sheet_merge(stream):  # a merged range over the whole sheet
        body = next(_records(stream, 0x00E5))
        struct.pack_into("<HHHH", stream, body + 2, 0, 65535, 0, 255)

    for patch in (far_cell, whole_sheet_merge):
        folder = tmp_path / patch.__name__
        folder.mkdir()
        _refused_quickly(_xls_with(folder, patch))


def test_import_bounds_a_pdf_that_inflates_to_gigabytes(tmp_path):
    """A content stream of a few MB that inflates to 3 GB: the child reading it runs out of its
    memory limit and the import says so, instead of the machine running out."""
    import zlib

    compressor, chunk, parts = zlib.compressobj(9), b"0 0 m " * 174763, []
    for _ in range(3 * 1024):  # 3 GB of drawing operators
        parts.append(compressor.compress(chunk))
    stream = b"".join(parts) + compressor.flush()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    body, offsets = b"%PDF-1.7\n", []
    for number, content in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    path = tmp_path / "炸弹.pdf"
    path.write_bytes(body + xref + b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % len(body))
    assert path.stat().st_size < 20 * 1024 * 1024
    started = time.monotonic()
    [result] = import_files([path], tmp_path / "out")
    assert result.written is None and "PDF" in result.problems[0], result.problems
    assert time.monotonic() - started < 120


# === The command line under attack (issue 21): nothing lost, nothing hangs, every slip in Chinese ===

import signal
import subprocess
import sys
from pathlib import Path

from formgen.layout import BUILTIN_TEMPLATES
from formgen.load.fields import MAX_NAME_CHARACTERS
from formgen.workspace.tasks import Failed, Workers, Written

TITLE = "<h1>财政项目支出绩效目标申报表</h1>"


def names_under(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def bad_template(workspace, unit_folder, attack):
    """A unit whose own 申报表 template does ``attack`` right after its title."""
    builtin = (BUILTIN_TEMPLATES / "申报表.html").read_text(encoding="utf-8")
    workspace.write(f"{unit_folder}/templates/申报表.html", builtin.replace(TITLE, TITLE + attack))


# --- nothing of the user's lost ---------------------------------------------------------------

def test_a_compilation_titled_like_a_form_is_refused_and_the_form_kept(workspace):
    unit(workspace)
    workspace.write("ws/某局/formgen.yaml", UNIT.replace("某局汇总表", "甲"))
    checked = run("check", "ws")
    assert checked.exit_code == 1 and "汇总表标题" in checked.output and "请改用不同的汇总表标题" in checked.output
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 1 and "ws/某局/formgen.yaml" in result.output and "会覆盖该表单" in result.output
    workbook = openpyxl.load_workbook(workspace.root / "out" / "某局" / "甲.xlsx")
    assert workbook.sheetnames != ["目录", "丙", "乙", "甲"]  # the form, not a 汇总表 written over it
    again = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert again.exit_code == 1 and "会覆盖该表单" in again.output  # said every time, not 未改动


def test_building_fewer_formats_deletes_none_of_the_others(workspace):
    unit(workspace, names=("甲",))
    assert run("build", "ws", "-o", "out").exit_code == 0
    before = names_under(workspace.root / "out" / "某局")
    workspace.write("ws/某局/甲.yaml", declaration(项目名称="项目名称: 甲").replace("课题", "研究"))
    result = run("build", "ws", "-o", "out", "-f", "pdf")
    assert result.exit_code == 0 and "删除" not in result.output
    assert names_under(workspace.root / "out" / "某局") == before
    (workspace.root / "ws" / "某局" / "甲.yaml").unlink()  # the kept files are still the form's: they go with it
    assert run("build", "ws", "-o", "out").exit_code == 0
    assert not any(name.startswith("甲.") for name in names_under(workspace.root / "out" / "某局"))


def test_new_never_replaces_a_folder_its_declaration_or_settings(workspace):
    source = workspace.write("申报.yaml", DECLARATION)
    (workspace.root / "草稿").mkdir()
    for target, message in [("草稿", "是一个目录"), ("申报.yaml", "就是 --from 的申报表"), ("formgen.yaml", "设置文件")]:
        result = run("new", "自评表", "--from", str(source), "-o", target, "--force")
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert source.read_text(encoding="utf-8") == DECLARATION and (workspace.root / "草稿").is_dir()


def test_an_imported_form_named_formgen_is_not_written_as_the_settings_file(workspace, tmp_path):
    from formgen.layout import Layouts
    from formgen.writers import xlsx

    [loaded] = load_file(workspace.write("x.yaml", declaration(项目名称="项目名称: formgen")), Settings())
    xlsx.write(Layouts().sheet(loaded.project), tmp_path / "表.xlsx")
    [result] = import_files([tmp_path / "表.xlsx"], workspace.root / "导入")
    assert result.written is not None and result.written.name == "_formgen.yaml"
    assert not (workspace.root / "导入" / "formgen.yaml").exists()


# --- OS errors, in Chinese ----------------------------------------------------------------------

def test_what_the_system_refuses_is_said_in_chinese(workspace):
    unit(workspace, names=("甲", "乙"))
    workspace.write("out/某局", "a file where the unit's folder goes")
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 1 and "已有同名的文件或目录" in result.output
    for args in (["new", "自评表", "--from", "ws/某局/甲.yaml", "-o", "/proc/x.yaml"],
                 ["schema", "-o", "/proc/x.json"], ["init", "/proc/x"], ["import", "ws/某局/甲.yaml", "-o", "/proc/x"]):
        result = run(*args)
        assert result.exit_code == 1 and "错误：" in result.output, args
        assert "Errno" not in result.output and "Traceback" not in result.output and "No such" not in result.output, args


# --- names within every format's limits -------------------------------------------------------

@pytest.mark.parametrize("line, message", [
    ("项目名称: " + "长" * (MAX_NAME_CHARACTERS + 1), "名称过长"),
    ("实施单位: " + "单" * 300, "名称过长"),
    ("项目名称: 报告\u202egnp.exe", "U+202E"),
    ("项目名称: 报\u200b告", "U+200B"),
])
def test_names_are_refused_by_check_and_build_and_the_others_build(workspace, line, message):
    unit(workspace, names=("甲", "乙"))
    key = line.split(":")[0]
    workspace.write("ws/某局/乙.yaml", declaration(**{key: line}))
    checked = run("check", "ws")
    assert checked.exit_code == 1 and message in checked.output
    started = time.monotonic()
    result = run("build", "ws", "-o", "out", "-f", "docx")
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert (workspace.root / "out" / "某局" / "甲.docx").is_file() and time.monotonic() - started < 60
    assert not any("\u202e" in name or "\u200b" in name for name in names_under(workspace.root / "out" / "某局"))


def test_a_compilation_title_with_invisible_characters_is_refused(workspace):
    unit(workspace, names=("甲",))
    workspace.write("ws/某局/formgen.yaml", UNIT.replace("某局汇总表", "某局\u202e汇总表"))
    result = run("check", "ws")
    assert result.exit_code == 1 and "formgen.yaml" in result.output and "U+202E" in result.output


def test_file_names_drop_invisible_characters_and_formgen():
    from formgen.workspace.names import output_file_stem

    assert output_file_stem("报告\u202egnp.exe") == "报告gnp.exe"
    assert output_file_stem("FormGen") == "_FormGen"


@pytest.mark.parametrize("name", ["CON", "com1.备份", "COM¹", "LPT³", "CONIN$", "conout$", "COM0", "aux .x"])
def test_names_windows_keeps_for_devices_are_not_file_names(name):
    from formgen.workspace.names import output_file_stem

    assert output_file_stem(name) == f"_{name}"


@pytest.mark.parametrize("name", ["COM10", "CONIN", "AUX服务", "COM¹服务", "NUL-备份"])
def test_names_that_only_begin_like_a_device_are_kept(name):
    from formgen.workspace.names import output_file_stem

    assert output_file_stem(name) == name


def test_colliding_output_names_fail_check_as_they_fail_build(workspace):
    workspace.write("ws/a.yaml", declaration(项目名称="项目名称: Project"))
    workspace.write("ws/b.yaml", declaration(项目名称="项目名称: PROJECT"))
    result = run("check", "ws")
    assert result.exit_code == 1 and result.output.count("同一文件") == 2


def test_many_copies_of_a_name_are_said_in_bounded_text(workspace):
    workspace.write("ws/多.yaml", "---\n".join([DECLARATION] * 200))
    result = run("check", "ws")
    assert result.exit_code == 1 and result.output.count("同一文件") == 200 and "等 200 个项目" in result.output
    assert len(result.output) < 200 * 400


# --- files found, and files refused -----------------------------------------------------------

def test_project_files_in_capitals_are_built_and_a_capital_settings_file_is_named(workspace):
    workspace.write("ws/甲.YAML", declaration(项目名称="项目名称: 甲"))
    workspace.write("ws/乙.Yml", declaration(项目名称="项目名称: 乙"))
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 0 and "生成 2 个表单" in result.output
    workspace.write("ws/FORMGEN.YAML", "汇总表标题: 某局\n")
    if not (workspace.root / "ws" / "formgen.yaml").exists():  # a file system that tells cases apart
        result = run("check", "ws")
        assert result.exit_code == 1 and "须命名为 formgen.yaml" in result.output


def test_a_project_file_that_is_a_pipe_or_a_link_to_a_device_is_refused_not_read(workspace):
    unit(workspace, names=("甲",))
    os.mkfifo(workspace.root / "ws" / "某局" / "管道.yaml")  # reading it would wait for a writer forever
    os.symlink("/dev/zero", workspace.root / "ws" / "某局" / "零.yaml")  # reading it would never end
    started = time.monotonic()
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 1
    assert "管道.yaml: 不是普通文件" in result.output and "零.yaml: 是链接，不作项目读取" in result.output
    assert (workspace.root / "out" / "某局" / "甲.xlsx").is_file() and time.monotonic() - started < 60


def test_a_settings_file_that_is_a_link_is_refused_and_the_other_units_build(workspace):
    """A unit's formgen.yaml linked to another unit's (or any file) is not read as its settings:
    its projects fail, saying so, and the other unit builds."""
    unit(workspace, names=("甲",))
    workspace.write("elsewhere/formgen.yaml", UNIT)
    workspace.write("ws/别局/乙.yaml", declaration(项目名称="项目名称: 乙"))
    os.symlink(workspace.root / "elsewhere" / "formgen.yaml", workspace.root / "ws" / "别局" / "formgen.yaml")
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 1 and "别局/formgen.yaml: 是链接，不作设置读取" in result.output
    assert (workspace.root / "out" / "某局" / "甲.xlsx").is_file()
    assert not (workspace.root / "out" / "别局").exists()


def test_a_record_nested_past_pythons_stack_is_ignored(workspace):
    unit(workspace, names=("甲",))
    workspace.write("out/.formgen-state.json", "[" * 100_000)
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 0 and "生成 1 个表单" in result.output


def test_a_text_of_the_full_cell_length_loads_from_a_block_scalar(workspace):
    text = "很" * 32767  # the line break YAML adds after a block scalar is not part of the text
    path = workspace.write("x.yaml", DECLARATION.replace("  项目立项依据充分且立项规范……\n", f"  {text}\n", 1))
    [result] = load_file(path, Settings())
    assert not isinstance(result, ProjectError) and result.project.overall_goal == text


def test_a_key_longer_than_yaml_reads_is_said_so():
    with pytest.raises(ProjectError) as caught:
        read_documents(DECLARATION + "很" * 100_000 + ": x\n", "x.yaml")
    assert "键过长（100,000 字）" in str(caught.value) and "缩进" not in str(caught.value)


def test_a_long_value_is_quoted_cut_in_its_messages(workspace):
    value = "≥" + "9" * 3000 + "x(个)"
    path = workspace.write("x.yaml", declaration(课题数量=f'课题数量: "{value}"'))
    [result] = load_file(path, Settings())
    [warning] = [w for w in result.warnings if "像数值" in w.message]
    assert "共 3,005 字" in warning.message and len(warning.message) < 200


# --- templates: a budget, their errors, no links -------------------------------------------------

@pytest.mark.parametrize("attack, message", [
    ("{{ 1 / 0 }}", "除数为 0"),
    ("{{ 10 ** 5000 }}", "整数过大"),
    ("{{ 'x' * 3000000000 }}", "3,000,000,000"),
    ("{{ 'x'.center(3000000000) }}", "3,000,000,000"),
    ("{{ [1] | batch(3000000000) | list }}", "3,000,000,000"),
    ("{{ '%3000000000d' % 1 }}", "3,000,000,000"),
    ("{{ '{:>3000000000}'.format(1) }}", "3,000,000,000"),
    ("{{ ('x' * 1000000) | replace('', 'yy') }}", "3,000,002"),
    ("{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}", "递归过深"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "秒"),
    ("{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(60) }}", "秒"),
    ("{{ p.nothing }}", "不存在的名称或字段"),
    ("</table><table><colgroup><col style='width: 100%'></colgroup><tr><td rowspan='2000000000'>x</td></tr>",
     "rowspan"),
])
def test_a_template_that_fails_or_runs_away_fails_its_forms_only(workspace, monkeypatch, attack, message):
    monkeypatch.setattr("formgen.layout.sandbox.RENDER_SECONDS", 0.5)
    unit(workspace, names=("甲",))
    workspace.write("ws/好/乙.yaml", declaration(项目名称="项目名称: 乙"))
    bad_template(workspace, "ws/某局", attack)
    started = time.monotonic()
    result = run("build", "ws", "-o", "out", "-f", "xlsx", "-j", "1")
    assert time.monotonic() - started < 60
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "ws/某局/templates/申报表.html" in result.output and message in result.output
    assert (workspace.root / "out" / "好" / "乙.xlsx").is_file()
    assert run("check", "ws").exit_code == 1  # check finds it too


def test_a_template_cannot_include_a_file_through_a_link(workspace):
    unit(workspace, names=("甲",))
    secret = workspace.write("secret.txt", "机密")
    bad_template(workspace, "ws/某局", "{% include 'link.html' %}")
    os.symlink(secret, workspace.root / "ws" / "某局" / "templates" / "link.html")
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 1 and "符号链接" in result.output
    assert not (workspace.root / "out" / "某局" / "甲.xlsx").exists()


def test_a_templates_folder_that_is_a_link_is_refused(workspace):
    unit(workspace, names=("甲",))
    bad_template(workspace, "elsewhere", "")
    os.symlink(workspace.root / "elsewhere" / "templates", workspace.root / "ws" / "templates")
    result = run("build", "ws", "-o", "out", "-f", "xlsx")
    assert result.exit_code == 1 and "符号链接" in result.output


# --- a form at the bounds: an answer in bounded time ---------------------------------------------

def test_a_project_at_the_bounds_is_answered_at_once_and_the_others_build(workspace):
    text = ("项目立项依据充分且立项规范，资金使用合规，绩效目标明确。" * 100)[:2900]
    many = "".join(f'      指标{i}: "{text}"\n' for i in range(500))
    huge = DECLARATION.split("绩效指标:")[0] + "绩效指标:\n  产出指标:\n    数量指标:\n" + many
    workspace.write("ws/大.yaml", huge.replace("课题研究", "大项目"))
    workspace.write("ws/小.yaml", DECLARATION)
    started = time.monotonic()
    result = run("build", "ws", "-o", "out", "-j", "1")
    assert time.monotonic() - started < 120
    assert result.exit_code == 1 and "表单过长" in result.output and "共" not in result.output.split("表单过长")[0][-5:]
    assert (workspace.root / "out" / "课题研究.pdf").is_file() and not (workspace.root / "out" / "大项目.pdf").exists()
    assert "表单过长" in run("check", "ws").output


# --- workers: they leave Ctrl-C to the build and end with it -----------------------------------

def _children(pid):
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False


def _busy_build(workspace):
    """A build whose two forms run their template's loops for 10 s each, in two workers."""
    unit(workspace, names=("甲", "乙"))
    bad_template(workspace, "ws/某局", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    process = subprocess.Popen([sys.executable, "-m", "formgen", "build", "ws", "-o", "out", "-j", "2", "-f", "xlsx"],
                               cwd=workspace.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while len(_children(process.pid)) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    workers = _children(process.pid)
    assert len(workers) >= 2, process.communicate()
    return process, workers


def _gone(pids, seconds=10):
    deadline = time.monotonic() + seconds
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not any(_alive(pid) for pid in pids)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads worker processes from /proc")
def test_a_killed_build_leaves_no_worker_and_no_lock(workspace):
    process, workers = _busy_build(workspace)
    process.kill()
    process.communicate()
    assert _gone(workers)
    with output_lock(workspace.root / "out"):  # free: not held by an orphan
        pass


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads worker processes from /proc")
def test_ctrl_c_stops_the_build_and_its_workers_without_their_tracebacks(workspace):
    process, workers = _busy_build(workspace)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole foreground group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "已中断" in stderr and "Traceback" not in stderr
    assert _gone(workers)


def _die(_):
    os._exit(1)


def _fine(value):
    return Written([str(value)])


def test_a_worker_that_dies_fails_its_tasks_and_the_build_goes_on():
    tasks = [("dies", _die, None)] + [(i, _fine, i) for i in range(12)]
    with Workers(2, len(tasks), ()) as workers:
        outcomes = dict(workers.run(tasks))
    assert set(outcomes) == {"dies", *range(12)} and isinstance(outcomes["dies"], Failed)
    assert all("意外退出" in o.message for o in outcomes.values() if isinstance(o, Failed))
    # Only the tasks in the pool with it when it died fail (4 at most); the others run in a new one.
    assert sum(isinstance(o, Written) for o in outcomes.values()) >= 12 - 3
