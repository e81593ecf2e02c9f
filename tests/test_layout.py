"""The 申报表 layout: the grid of FORMS.md §1, cell by cell, and the HTML reader."""

from projects import DECLARATION

from formgen.layout import Layouts, parse_sheet
from formgen.layout.layouts import hierarchy, paragraphs
from formgen.money import money
from formgen.load import load_file, read_settings


def sheet_of(workspace, text=DECLARATION):
    path = workspace.write("项目.yaml", text)
    [loaded] = load_file(path, read_settings(path.parent, workspace.root))
    return Layouts().sheet(loaded.project)


def test_money_and_paragraphs():
    from decimal import Decimal

    assert money(Decimal("3079000")) == "3,079,000.00"
    assert money(Decimal("3079000.1")) == "3,079,000.10"
    assert money(None) == ""
    assert paragraphs("<p>产出目标：…</p> <p>效果目标：…</p>") == ["产出目标：…", "效果目标：…"]
    assert paragraphs("第一行\n第二行") == ["第一行", "第二行"]
    assert paragraphs(None) == []


def test_hierarchy_gives_each_merged_cell_its_span_once():
    rows = hierarchy({"产出指标": {"数量指标": {"a": "1", "b": "2"}, "质量指标": {"c": "3"}}, "满意度指标": {"x": {"d": "4"}}})
    assert [(r.level1_span, r.level2_span, r.name) for r in rows] == [(3, 2, "a"), (0, 0, "b"), (0, 1, "c"), (1, 1, "d")]


def test_declaration_grid_matches_forms_md(workspace):
    sheet = sheet_of(workspace)
    grid = {(r, c): (rs, cs, text) for r, c, rs, cs, text in sheet.grid()}
    assert [h.text for h in sheet.headings] == ["财政项目支出绩效目标申报表", "(2023年度)"]
    assert sheet.column_count == 6 and sheet.orientation == "portrait"
    assert grid[0, 0] == (1, 1, "项目名称") and grid[0, 1] == (1, 1, "课题研究")
    assert grid[1, 3] == (1, 3, "上海市城市管理行政执法局")
    assert grid[2, 3] == (1, 3, "2023-12-31")
    assert grid[3, 0] == (4, 1, "项目资金(元)")
    assert grid[3, 2] == (1, 1, "400,000.00") and grid[3, 4] == (1, 2, "400,000.00")
    assert grid[4, 1] == (2, 1, "其中：财政资金") and grid[4, 2] == (2, 1, "400,000.00")
    assert grid[5, 3] == (1, 1, "上年结转资金") and grid[5, 4] == (1, 2, "0.00")
    assert grid[7, 0] == (2, 1, "项目绩效目标")
    assert grid[7, 1] == (1, 2, "项目总目标 (2023年-2023年)") and grid[7, 3] == (1, 3, "年度总体目标")
    assert grid[8, 1] == (1, 2, "项目立项依据充分且立项规范……")
    # The indicator table: 绩效指标 spans its header and all 7 indicator rows.
    assert grid[9, 0] == (8, 1, "绩效指标") and grid[9, 3] == (1, 2, "三级指标")
    assert grid[10, 1] == (5, 1, "产出指标") and grid[10, 2] == (3, 1, "数量指标")
    assert grid[10, 3] == (1, 2, "人员配置数量") and grid[10, 5] == (1, 1, "≥2(人)")
    assert grid[13, 2] == (1, 1, "质量指标") and grid[15, 1] == (1, 1, "效益指标")
    assert sheet.row_count == 17 and sheet.repeat_rows == (9,)
    # Every slot of the 17 × 6 grid is covered by exactly one cell.
    covered = sorted((r2, c2) for r, c, rs, cs, _ in sheet.grid() for r2 in range(r, r + rs) for c2 in range(c, c + cs))
    assert covered == [(r, c) for r in range(17) for c in range(6)]


def test_amount_cells_carry_exact_numbers_and_empty_ones_stay_empty(workspace):
    text = DECLARATION.replace("  项目资金总额: 400000.00\n", "").replace("  财政资金: 400000.00\n", "")
    sheet = sheet_of(workspace, text)
    cells = {(c.row, c.col): c for c in sheet.cells}
    assert cells[3, 2].text == "" and cells[3, 2].amount is None
    assert str(cells[3, 4].amount) == "400000.00" and cells[3, 4].align == "right"


def test_period_is_omitted_when_unknown(workspace):
    text = DECLARATION.replace("项目总目标期间: 2023-2023\n", "")
    assert "项目总目标" in [c.text for c in sheet_of(workspace, text).cells]


def test_markup_in_texts_is_shown_literally(workspace):
    text = DECLARATION.replace("  项目立项依据充分且立项规范……\n年度", "  <b>加粗</b> & <script>x</script>\n年度", 1)
    cells = [c.text for c in sheet_of(workspace, text).cells]
    assert "<b>加粗</b> & <script>x</script>" in cells


def test_paragraph_markup_splits_paragraphs(workspace):
    text = DECLARATION.replace("年度总体目标: |\n  项目立项依据充分且立项规范……", "年度总体目标: <p>一</p><p>二  两个空格</p>")
    cell = next(c for c in sheet_of(workspace, text).cells if c.row == 8 and c.col == 3)
    assert cell.paragraphs == ["一", "二  两个空格"]


def test_reader_places_cells_after_rowspans():
    html = ('<article class="form" data-orientation="landscape"><h1>标题</h1><table><col style="width: 50%"><col style="width: 50%">'
            '<tr class="repeat"><th rowspan="2">a</th><td>b</td></tr><tr><td class="amount" data-amount="1.50">1.50</td></tr></table></article>')
    sheet = parse_sheet(html, "x")
    assert sheet.grid() == [(0, 0, 2, 1, "a"), (0, 1, 1, 1, "b"), (1, 1, 1, 1, "1.50")]
    assert sheet.orientation == "landscape" and sheet.repeat_rows == (0,)


def test_target_table_grid_matches_forms_md(workspace):
    from conftest import SAMPLES

    source = SAMPLES / "上海市城市管理行政执法局-2020"
    workspace.write("ws/formgen.yaml", (source / "formgen.yaml").read_text(encoding="utf-8"))
    text = (source / "城管执法监督考核.yaml").read_text(encoding="utf-8")
    path = workspace.write("ws/项目.yaml", text)
    [loaded] = load_file(path, read_settings(path.parent, workspace.root / "ws"))
    sheet = Layouts().sheet(loaded.project)
    grid = {(r, c): (rs, cs, t) for r, c, rs, cs, t in sheet.grid()}
    assert [h.text for h in sheet.headings] == ["财政项目支出绩效目标表", "(2020年度)", "申报单位名称：上海市城市管理行政执法局"]
    assert sheet.headings[2].kind == "note" and sheet.column_count == 4 and sheet.orientation == "portrait"
    assert grid[0, 0] == (1, 1, "项目名称：") and grid[0, 1][2] == "城管执法监督考核" and grid[0, 3][2] == "其他一次性项目"
    assert grid[2, 0][2] == "是否含有政府购买服务：" and grid[2, 1][2] == "否"
    assert grid[3, 0][2] == "项目概况：" and grid[3, 1][:2] == (1, 3)
    assert grid[9, 0] == (1, 4, "本项目上年度市级财政资金使用情况")
    assert grid[10, 1][2] == "3,870,000" and grid[11, 3][2] == "4,050,000"  # 金额小数位: 0, as printed in 2020
    assert grid[12, 0] == (1, 4, "2020年绩效目标") and sheet.repeat_rows == (13,)
    assert grid[14, 0] == (14, 1, "投入与管理") and grid[14, 1] == (4, 1, "投入管理")
    assert sheet.row_count == 14 + 21
