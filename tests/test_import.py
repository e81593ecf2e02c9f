"""formgen import: every sample round-trips through XLSX and DOCX; hand-edited files read too."""

import shutil
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

from formgen import money
from formgen.workspace import build, check
from formgen.cli import main
from formgen.commands.importing import import_files
from formgen.layout import Layouts
from formgen.layout.layouts import paragraphs
from conftest import SAMPLES


def comparable(project) -> dict:
    """A project's data as an import can restore it: texts as paragraphs; for a 自评表 the
    amounts at the 万元 cents the form shows, and no typed copies of computed figures; not how
    the unit prints (措辞, 日期格式, 金额小数位), which a printed form reads back as plain values."""

    def normalised(value):
        if isinstance(value, str):
            return paragraphs(value)
        if isinstance(value, dict):
            return {k: normalised(v) for k, v in value.items()}
        return value

    data = normalised(project.model_dump(exclude={"wording", "date_style", "amount_decimals", "declaration"}))
    if project.form == "自评表":
        for key in ("total_given", "grade_given", "budget_score_given"):
            data.pop(key)
        funding = data.pop("funding")
        data["funding"] = {line: {column: money.wan_yuan(funding[line][column]) for column in ("initial", "annual", "executed")}
                           for line in ("appropriation", "carried_over", "other")}
    return data


@pytest.fixture(scope="session")
def built_samples(tmp_path_factory):
    output = tmp_path_factory.mktemp("import-built")
    report = build([SAMPLES], output, ("xlsx", "docx"))
    assert report.ok
    return {f"{form.source.file}#{form.index}": form for form in report.built}, check([SAMPLES])


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_every_sample_round_trips(built_samples, tmp_path, fmt):
    built, originals = built_samples
    assert len(originals.done) == 63
    for original in originals.done:
        form = built[f"{original.source.file}#{original.index}"]
        folder = tmp_path / original.source.file.stem
        folder.mkdir()
        [result] = import_files([form.stem.with_suffix(f".{fmt}")], folder)
        assert result.problems == [], result.problems
        [imported] = check([result.written]).done
        assert comparable(imported.loaded.project) == comparable(original.loaded.project), original.source.file


def test_compilations_import_every_form(built_samples, tmp_path):
    built, _ = built_samples
    any_form = next(iter(built.values()))
    compilation = next(any_form.stem.parent.glob("*汇总表.xlsx"))
    results = import_files([compilation], tmp_path)
    members = [f for f in built.values() if f.stem.parent == any_form.stem.parent]
    assert len(results) == len(members) and all(r.written for r in results)


def _hand_made_workbook(sheet, path, amounts_as_text=True):
    """The grid as a person might have typed it: labels with stray spaces and line breaks,
    一级/二级 written once and left unmerged, blank rows inserted, amounts as text."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.append(["财政项目支出绩效目标申报表"])
    ws.append([])
    ws.append(["（2023年度）"])
    blank_after = {2, 9}  # a blank row after the dates and after the goals
    shift = {}
    row = 4
    for grid_row in range(sheet.row_count):
        shift[grid_row] = row
        row += 2 if grid_row in blank_after else 1
    header = min(sheet.repeat_rows)
    for cell in sheet.cells:
        r, c = shift[cell.row], cell.col + 1
        text = cell.text
        if cell.is_label and len(text) > 3:
            text = text[:2] + " " + text[2:-1] + "\n" + text[-1]  # 项目 名 称 → stray space and break
        if cell.amount is not None and not amounts_as_text:
            ws.cell(row=r, column=c, value=float(cell.amount))
        else:
            ws.cell(row=r, column=c, value=text).data_type = "s"  # typed text, as in Excel: =100(%) is no formula
        in_indicators = cell.row > header and cell.col in (1, 2)
        if (cell.rowspan > 1 or cell.colspan > 1) and not in_indicators:
            ws.merge_cells(start_row=r, start_column=c, end_row=shift[cell.row + cell.rowspan - 1],
                           end_column=c + cell.colspan - 1)
    workbook.save(path)


@pytest.mark.parametrize("amounts_as_text", [True, False])
def test_hand_edited_workbook_reads_the_same(tmp_path, amounts_as_text):
    source = SAMPLES / "上海市城市管理行政执法局-2023" / "城管执法社会宣传.yaml"
    [original] = check([source]).done
    sheet = Layouts().sheet(original.loaded.project)
    path = tmp_path / "手工.xlsx"
    _hand_made_workbook(sheet, path, amounts_as_text)
    [result] = import_files([path], tmp_path / "out")
    assert result.problems == []
    [imported] = check([result.written]).done
    assert comparable(imported.loaded.project) == comparable(original.loaded.project)
    assert imported.loaded.project.funding.total == Decimal("3079000.00")


def test_unreadable_amount_is_reported_with_its_cell_and_nothing_is_written(tmp_path):
    source = SAMPLES / "上海市城市管理行政执法局-2023" / "课题研究.yaml"
    [original] = check([source]).done
    path = tmp_path / "坏.xlsx"
    _hand_made_workbook(Layouts().sheet(original.loaded.project), path)
    workbook = openpyxl.load_workbook(path)
    ws = workbook.active
    target = next(c for row in ws.iter_rows() for c in row if c.value == "400,000.00")
    target.value = "四十万"
    workbook.save(path)
    [result] = import_files([path], tmp_path / "out")
    assert result.written is None
    assert any(f"{target.coordinate}" in p and "四十万" in p for p in result.problems), result.problems
    assert not (tmp_path / "out" / "课题研究.yaml").exists()


def test_import_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(SAMPLES / "上海市城市管理行政执法局-2020", "ws")
    assert CliRunner().invoke(main, ["build", "ws", "-o", "out", "-f", "docx"]).exit_code == 0
    result = CliRunner().invoke(main, ["import", "out/城管执法监督考核-目标表.docx", "-o", "导入"])
    assert result.exit_code == 0, result.output
    assert "已导入" in result.output and (tmp_path / "导入" / "城管执法监督考核-目标表.yaml").is_file()
    again = CliRunner().invoke(main, ["import", "out/城管执法监督考核-目标表.docx", "-o", "导入"])
    assert again.exit_code == 1 and "已存在" in again.output


def _hand_made_document(sheet, path):
    """A Word table typed by hand: one table, no merges at all (一级/二级 written once, labels
    repeated nowhere), a blank row inserted after the goals, amounts as text."""
    import docx

    document = docx.Document()
    document.add_paragraph("财政项目支出绩效目标申报表")
    document.add_paragraph("(2023年度)")
    rows = sheet.row_count + 1
    table = document.add_table(rows=rows, cols=sheet.column_count)
    for cell in sheet.cells:
        row = cell.row + (1 if cell.row > 8 else 0)
        table.rows[row].cells[cell.col].text = cell.text
    document.save(path)


def test_hand_made_document_reads_the_same(tmp_path):
    source = SAMPLES / "上海市城市管理行政执法局-2023" / "课题研究.yaml"
    [original] = check([source]).done
    path = tmp_path / "手工.docx"
    _hand_made_document(Layouts().sheet(original.loaded.project), path)
    [result] = import_files([path], tmp_path / "out")
    assert result.problems == []
    [imported] = check([result.written]).done
    assert comparable(imported.loaded.project) == comparable(original.loaded.project)


def _sample_workbook(tmp_path, edit, name="表.xlsx"):
    """The 课题研究 申报表 as a hand-made workbook, with ``edit(ws)`` applied."""
    source = SAMPLES / "上海市城市管理行政执法局-2023" / "课题研究.yaml"
    [original] = check([source]).done
    path = tmp_path / name
    _hand_made_workbook(Layouts().sheet(original.loaded.project), path)
    workbook = openpyxl.load_workbook(path)
    edit(workbook.active)
    workbook.save(path)
    return original, path


def _cell(ws, text):
    return next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.replace(" ", "")
                .replace("\n", "") == text)


def test_amounts_labelled_in_wan_are_converted_and_said_so(tmp_path):
    def in_wan(ws):
        _cell(ws, "项目资金(元)").value = "项目资金（万元）"
        for row in ws.iter_rows():
            for c in row:
                if c.value == "400,000.00":
                    c.value = "40"
    original, path = _sample_workbook(tmp_path, in_wan)
    [result] = import_files([path], tmp_path / "out")
    assert result.written is not None and any("万元" in note for note in result.notes)
    [imported] = check([result.written]).done
    assert imported.loaded.project.funding.total == Decimal("400000.00")


def test_amounts_whose_unit_cannot_be_told_are_refused_with_the_cell(tmp_path):
    def no_unit(ws):
        _cell(ws, "项目资金(元)").value = "项目资金"
    _, path = _sample_workbook(tmp_path, no_unit)
    [result] = import_files([path], tmp_path / "out")
    assert result.written is None and any("金额单位" in p and "!A" in p for p in result.problems), result.problems


def test_common_variants_read_a_year_prefixed_title_and_a_short_header(tmp_path):
    def variants(ws):
        ws["A1"] = "2025年度财政项目支出绩效目标申报表"
        ws["A3"] = None
        _cell(ws, "年度(/项目)指标值").value = "年度指标值"
    original, path = _sample_workbook(tmp_path, variants)
    [result] = import_files([path], tmp_path / "out")
    assert result.written is not None, result.problems
    [imported] = check([result.written]).done
    assert imported.loaded.project.year == 2025
    assert imported.loaded.project.indicators == original.loaded.project.indicators


def test_a_typed_formula_shows_its_cell_once(tmp_path):
    def formula(ws):
        cell = _cell(ws, "=7.00(个)")
        cell.value = "#NAME?"
        cell.data_type = "e"  # what Excel stores for =100(%) typed without a quote
    _, path = _sample_workbook(tmp_path, formula)
    [result] = import_files([path], tmp_path / "out")
    assert result.written is None
    [problem] = [p for p in result.problems if "公式" in p]
    assert problem.count("Sheet") == 1 and "!F" in problem and "单引号" in problem


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_a_long_text_the_plan_cut_over_two_pages_reads_back_whole(tmp_path, fmt):
    """A 目标表 whose 项目概况 fills more than a page: the plan cuts it where the page ends and prints
    the rest under its label again (``Sheet.continued``); imported, it is one text as written."""
    from readback import printed_sheet

    shutil.copytree(SAMPLES / "上海市城市管理行政执法局-2020", tmp_path / "ws")
    path = tmp_path / "ws" / "城管执法监督考核.yaml"
    text = path.read_text(encoding="utf-8")
    overview = text.split("项目概况: |\n  ", 1)[1].split("\n", 1)[0]
    path.write_text(text.replace(overview, "\n  ".join([overview] * 3) + "\n  " + overview[:200], 1), encoding="utf-8")
    [original] = check([path]).done
    assert printed_sheet(original.loaded.project).row_count > Layouts().sheet(original.loaded.project).row_count
    report = build([path], tmp_path / "out", (fmt,))
    [result] = import_files([report.built[0].stem.with_suffix(f".{fmt}")], tmp_path / "back")
    assert result.problems == []
    [imported] = check([result.written]).done
    assert comparable(imported.loaded.project) == comparable(original.loaded.project)
