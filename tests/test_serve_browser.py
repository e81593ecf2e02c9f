"""formgen serve driven as a person would: Debian's Chromium through Playwright, at 1366×768.

Each test starts the server on a free loopback port over a copy of two sample units,
and works the pages with the keyboard and the mouse: it types (never sets values),
presses Tab, Enter and the shortcuts, clicks right after typing, saves and downloads
at once, and checks what lands on disk and in the downloaded forms. Screenshots of
the pages are kept in the test's folder (set FORMGEN_SCREENSHOTS to a folder to keep
and look at them).
"""

import os
import re
import socket
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import DECLARATION, SAMPLES, SELF_EVALUATION, UNIT_2023, UNIT_2024

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"


class Running:
    """formgen serve in a thread of this process, on a free port."""

    def __init__(self, root: Path, output: Path, users=None):
        import uvicorn

        from formgen.serve.app import create_app
        from formgen.serve.preview import Previewer

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        app = create_app(root, output, users, previewer=Previewer(workers=1))
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium 未安装：运行 scripts/setup-system.sh --office")
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


@pytest.fixture
def serve(served_workspace, tmp_path):
    servers = []

    def start(users=None):
        servers.append(Running(served_workspace, tmp_path / "out", users))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def page(browser, tmp_path, request):
    # bypass_csp: Playwright evaluates its waits as strings, which our Content-Security-Policy forbids
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True, bypass_csp=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.shots = Path(os.environ.get("FORMGEN_SCREENSHOTS", tmp_path / "screenshots"))
    page.shots.mkdir(parents=True, exist_ok=True)
    page.shot = lambda name, full=False: page.screenshot(path=page.shots / f"{request.node.name}-{name}.png", full_page=full)
    yield page
    context.close()
    assert not errors, errors  # no script error on any page


# --- acting as a person -----------------------------------------------------------------------------

def type_over(page, locator, text: str) -> None:
    """Click into a box, select what it holds and type ``text`` over it, key by key."""
    locator.click()
    page.keyboard.press("Control+A")
    if text:
        page.keyboard.type(text)
    else:
        page.keyboard.press("Delete")


def accept_next_dialog(page, answer: str | None = None) -> None:
    """Answer the next prompt with ``answer`` (else with what it proposes), or confirm."""
    page.once("dialog", lambda dialog: dialog.accept(dialog.default_value if answer is None else answer))


def wait_for_preview(page, after: int = 0) -> int:
    page.wait_for_function(f"Number(document.body.dataset.previewed || 0) > {after}", timeout=60000)
    return int(page.evaluate("document.body.dataset.previewed"))


def wait_for_text(page, selector: str, text: str, timeout: int = 30000) -> None:
    page.wait_for_function(f"(document.querySelector({selector!r})?.textContent || '').includes({text!r})",
                           timeout=timeout)


def saved(page) -> None:
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('已保存')", timeout=30000)


def download(page, format_: str, folder: Path) -> Path:
    """Click the download link of ``format_`` in the editor's toolbar; the file downloaded."""
    with page.expect_download(timeout=120000) as started:
        page.click(f"#downloads a[data-format='{format_}']")
    path = folder / f"{time.monotonic_ns()}-{started.value.suggested_filename}"
    started.value.save_as(path)
    return path


def text_of(path: Path) -> str:
    if path.suffix == ".docx":
        import docx
        return "\n".join(cell.text for table in docx.Document(path).tables for row in table.rows for cell in row.cells)
    if path.suffix == ".xlsx":
        import openpyxl
        return "\n".join(str(c.value) for sheet in openpyxl.load_workbook(path) for row in sheet.iter_rows() for c in row
                         if c.value is not None)
    from pypdf import PdfReader
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def box(page, path: str, column: str | None = None):
    """The input of a field or indicator by its path (an indicator's name box: ``column='name'``)."""
    if column == "name":
        return page.locator(f"input.name[data-path='{path}']")
    if column is not None:
        return page.locator(f"[data-path='{path}'] [aria-label='{column}']")
    return page.locator(f"[data-path='{path}']:is(input, textarea, select):not(.name)")


# --- editing never loses input ----------------------------------------------------------------------

def test_the_lost_clicks_probe_every_key_and_click_after_typing_lands(serve, page, served_workspace):
    server = serve()
    page.goto(f"{server.url}/edit?path={DECLARATION}")
    wait_for_preview(page)
    tree = "绩效指标.产出指标.数量指标"
    # type a 三级 name, press Tab, type a value: the value lands in the renamed indicator
    type_over(page, box(page, f"{tree}.课题数量", "name"), "课题数目")
    page.keyboard.press("Tab")
    page.keyboard.type("=8.00(个)")
    assert box(page, f"{tree}.课题数目", "指标值").input_value() == "=8.00(个)"
    # type a name and click straight into another box: the click and the keys after it land
    type_over(page, box(page, f"{tree}.工作开展天数", "name"), "工作天数")
    box(page, "项目性质").click()
    page.keyboard.press("End")
    page.keyboard.type("（续）")
    assert box(page, "项目性质").input_value() == "其他一次性项目（续）"
    # type a name and click a button right away: one click adds one 二级指标, its name ready to type
    type_over(page, box(page, "绩效指标.产出指标.质量指标", "name"), "质量")
    page.locator("[data-path='绩效指标.产出指标'] > button.add").click()
    page.keyboard.type("时效性指标")
    assert box(page, "绩效指标.产出指标.时效性指标", "name").input_value() == "时效性指标"
    # Ctrl+A in a box selects that box only: what is typed replaces its text, nothing else
    type_over(page, box(page, f"{tree}.人员配置数量", "指标值"), "≥3(人)")
    assert box(page, f"{tree}.人员配置数量", "指标值").input_value() == "≥3(人)"
    page.shot("typed")
    wait_for_text(page, "#summary", "检查")
    page.keyboard.press("Control+s")
    saved(page)
    text = (served_workspace / DECLARATION).read_text(encoding="utf-8")
    for line in ("项目性质: 其他一次性项目（续）", "      课题数目: =8.00(个)", "      工作天数: 120", "  质量:",
                 "    时效性指标:\n      新指标:", "      人员配置数量: ≥3(人)"):
        assert line in text
    assert text.index("人员配置数量") < text.index("课题数目") < text.index("工作天数")  # renamed in place


def test_the_tree_by_keyboard_enter_esc_and_the_shortcuts(serve, page, served_workspace):
    server = serve()
    page.goto(f"{server.url}/edit?path={DECLARATION}")
    wait_for_preview(page)
    tree = "绩效指标.产出指标.数量指标"
    # Enter moves down the column, as in a spreadsheet; Shift+Enter back up
    box(page, f"{tree}.人员配置数量", "指标值").click()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.dataset.path") == f"{tree}.课题数量"
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "指标值"
    page.keyboard.press("Shift+Enter")
    assert page.evaluate("document.activeElement.dataset.path") == f"{tree}.人员配置数量"
    # Esc takes back what was typed into the box
    page.keyboard.press("Control+A")
    page.keyboard.type("打错了")
    page.keyboard.press("Escape")
    assert box(page, f"{tree}.人员配置数量", "指标值").input_value() == "≥2(人)"
    # Ctrl+Enter adds an indicator below, its name selected; Tab to its value
    page.keyboard.press("Control+Enter")
    page.keyboard.type("新增指标甲")
    page.keyboard.press("Tab")
    page.keyboard.type("≥1(项)")
    # Alt+↑ moves it up, the focus staying in it
    page.keyboard.press("Alt+ArrowUp")
    assert page.evaluate("document.activeElement.dataset.path") == f"{tree}.新增指标甲"
    # Alt+Delete deletes the row the focus is in, after a confirmation (Ctrl+Delete stays a text key)
    box(page, f"{tree}.工作开展天数", "name").click()
    accept_next_dialog(page)
    page.keyboard.press("Alt+Delete")
    assert box(page, f"{tree}.工作开展天数", "name").count() == 0
    page.shot("keyboard")
    page.keyboard.press("Control+s")
    saved(page)
    text = (served_workspace / DECLARATION).read_text(encoding="utf-8")
    assert "    数量指标:\n      新增指标甲: ≥1(项)\n      人员配置数量: ≥2(人)\n      课题数量: =7.00(个)\n    质量指标:" in text


def test_esc_never_costs_what_was_typed_ctrl_z_brings_it_back_and_the_focus_stays(serve, page, served_workspace):
    server = serve()
    page.goto(f"{server.url}/edit?path={DECLARATION}")
    wait_for_preview(page)
    # a paragraph typed in a long text: Esc leaves it as it is
    goal = box(page, "年度总体目标")
    goal.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("另起一段：本年度新增的工作。")
    page.keyboard.press("Escape")
    assert goal.input_value().endswith("探索建立长效机制。\n另起一段：本年度新增的工作。")
    # a one-line box: Esc puts back the value it had on entry, Ctrl+Z brings back what was typed
    type_over(page, box(page, "项目性质"), "打错了吗")
    page.keyboard.press("Escape")
    assert box(page, "项目性质").input_value() == "其他一次性项目"
    assert "Ctrl+Z" in page.text_content("#status")
    page.keyboard.press("Control+z")
    assert box(page, "项目性质").input_value() == "打错了吗"
    # a 一级 name: Esc reverts it and the focus stays in the box, keys typed after it land there
    level1 = box(page, "绩效指标.产出指标", "name")
    type_over(page, level1, "产出")
    page.keyboard.press("Escape")
    assert level1.input_value() == "产出指标"
    assert page.evaluate("document.activeElement.dataset.path") == "绩效指标.产出指标"
    page.keyboard.press("End")
    page.keyboard.type("类")
    assert box(page, "绩效指标.产出指标类", "name").input_value() == "产出指标类"
    level2 = box(page, "绩效指标.效益指标.社会效益指标", "name")
    type_over(page, level2, "社会")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.dataset.path") == "绩效指标.效益指标.社会效益指标"
    page.keyboard.press("Escape")  # a second Esc changes nothing
    assert level2.input_value() == "社会效益指标"
    page.shot("esc")
    wait_for_text(page, "#summary", "检查")
    page.keyboard.press("Control+s")
    saved(page)
    text = (served_workspace / DECLARATION).read_text(encoding="utf-8")
    assert "另起一段：本年度新增的工作。" in text and "项目性质: 打错了吗" in text and "  产出指标类:\n" in text
    assert "  社会效益指标:" in text


def test_moving_and_renaming_with_the_mouse_keep_the_focus_and_the_file_changes_only_there(serve, page, served_workspace):
    server = serve()
    page.goto(f"{server.url}/edit?path={DECLARATION}")
    wait_for_preview(page)
    original = (served_workspace / DECLARATION).read_text(encoding="utf-8")
    tree = "绩效指标.产出指标.数量指标"
    page.locator(f"[data-path='{tree}'] > button.add").click()
    page.keyboard.type("浏览器新增指标")
    page.keyboard.press("Tab")
    page.keyboard.type("≥3(个)")
    for _ in range(3):
        page.click("button[aria-label='上移三级指标 浏览器新增指标']")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "上移三级指标 浏览器新增指标"
    type_over(page, box(page, "项目名称"), "课题研究（浏览器）")
    wait_for_text(page, "#summary", "检查通过")
    page.click("#save")
    saved(page)
    expected = original.replace("项目名称: 课题研究\n", "项目名称: 课题研究（浏览器）\n").replace(
        "    数量指标:\n", "    数量指标:\n      浏览器新增指标: ≥3(个)\n")
    assert (served_workspace / DECLARATION).read_text(encoding="utf-8") == expected  # nothing else rewritten


def test_a_field_cleared_and_typed_again_keeps_its_place_and_a_pasted_line_break_is_said(serve, page, served_workspace):
    server = serve()
    page.goto(f"{server.url}/edit?path={DECLARATION}")
    wait_for_preview(page)
    type_over(page, box(page, "项目类别"), "")
    page.keyboard.press("Tab")
    type_over(page, box(page, "项目类别"), "经常性项目")
    # a name pasted from a document with a line break in it: joined, and the page says so
    box(page, "项目名称").click()
    page.keyboard.press("End")
    page.evaluate("""() => {
        const input = document.activeElement, data = new DataTransfer();
        data.setData('text/plain', '（第一\\n阶段）');
        input.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }""")
    assert box(page, "项目名称").input_value() == "课题研究（第一阶段）"
    assert "已合并为一行" in page.text_content("#status")
    page.shot("pasted")
    page.keyboard.press("Control+s")
    saved(page)
    text = (served_workspace / DECLARATION).read_text(encoding="utf-8")
    assert "项目名称: 课题研究（第一阶段）\n项目性质: 其他一次性项目\n项目类别: 经常性项目\n" in text


# --- the 自评表 at 1366×768 -----------------------------------------------------------------------

def test_the_self_evaluation_reads_at_1366_and_its_figures_follow_the_typing(serve, page):
    server = serve()
    page.goto(f"{server.url}/edit?path={SELF_EVALUATION}")
    wait_for_text(page, "#summary", "检查通过")
    # one indicator a line over the full width: the boxes wide enough to read, the buttons on one line
    row = page.locator("[data-path='绩效指标.产出指标.数量指标.优秀案例征集数量'].leaf")
    row.scroll_into_view_if_needed()
    name = row.locator("input.name").bounding_box()
    assert name["width"] >= 220, name  # was ~50 px: three characters
    boxes = [row.locator(f"[aria-label='{label}']").bounding_box() for label in ("指标值", "实际完成值", "分值", "得分")]
    assert all(b["y"] == name["y"] for b in boxes) and all(b["width"] >= 60 for b in boxes)
    buttons = [b.bounding_box() for b in row.locator(".buttons button").all()]
    assert len({b["y"] for b in buttons}) == 1 and buttons[-1]["x"] + buttons[-1]["width"] <= 1366
    page.shot("rows")
    # the 执行率 follows the 全年执行数 typed; the 执行率 written in the file no longer matches: said beside it
    type_over(page, box(page, "项目资金.当年财政拨款.全年执行数"), "206500")
    page.wait_for_function("document.querySelector(\"[data-computed='项目资金.当年财政拨款.执行率']\").textContent"
                           ".includes('50.00%')")
    assert "年度资金总额 › 执行率" in page.text_content("#problems")
    assert "执行率" in page.locator(".msg[data-for='项目资金.年度资金总额.执行率']").text_content()
    # a score cleared: formgen proposes one, taken with one click
    score = box(page, "绩效指标.产出指标.数量指标.优秀案例征集数量.得分")
    type_over(page, score, "")
    take = page.locator("button[data-proposal='绩效指标.产出指标.数量指标.优秀案例征集数量.建议得分']")
    page.wait_for_function("document.querySelector(\"button[data-proposal='绩效指标.产出指标.数量指标.优秀案例征集数量"
                           ".建议得分']\").classList.contains('shown')")
    assert take.text_content() == "建议 2，采用"
    take.click()
    assert score.input_value() == "2"
    wait_for_text(page, "#summary", "总分")
    page.shot("figures")
    type_over(page, box(page, "项目资金.当年财政拨款.全年执行数"), "413000")
    wait_for_text(page, "#summary", "检查通过")
    page.click("#toggle-preview")  # the pages beside it on request: two lines a row then
    wait_for_preview(page)
    row.scroll_into_view_if_needed()
    first, second = row.locator("input.name").bounding_box(), row.locator("[aria-label='得分']").bounding_box()
    assert second["y"] > first["y"] + first["height"] and first["width"] >= 150  # a row in two lines, still readable
    page.shot("with-preview")


# --- downloads are the saved version -------------------------------------------------------------

def test_save_then_download_at_once_is_the_saved_form(serve, page, served_workspace, tmp_path):
    server = serve()
    page.goto(server.url)
    page.click("#build")
    page.wait_for_function("document.querySelector('#build-status').textContent.includes('已生成')", timeout=180000)
    page.goto(f"{server.url}/edit?path={DECLARATION}")
    wait_for_text(page, "#build-status", "已生成 3 个文件")
    type_over(page, box(page, "项目性质"), "经常性项目")
    page.click("#save")
    pdf = download(page, "pdf", tmp_path)  # clicked at once: the page waits for the build of the save
    assert "经常性项目" in text_of(pdf)
    wait_for_text(page, "#build-status", "已生成 3 个文件，")
    page.shot("built")
    # changes not saved yet: the download saves them first
    type_over(page, box(page, "项目类别"), "其他运转类")
    docx = download(page, "docx", tmp_path)
    assert "其他运转类" in text_of(docx) and "项目类别: 其他运转类" in (served_workspace / DECLARATION).read_text(encoding="utf-8")
    # with an error no new form is made: the page says so, and offers the old one as old
    type_over(page, box(page, "计划完成日期"), "2022-12-31")
    page.keyboard.press("Control+s")
    wait_for_text(page, "#build-status", "有错误")
    assert page.text_content("#downloads-label") == "下载旧版："
    assert "stale=1" in page.get_attribute("#downloads a[data-format='xlsx']", "href")
    page.shot("old-forms")
    # the overview: the saved project is 已生成 (a save without a change leaves it so)
    page.goto(f"{server.url}/edit?path={SELF_EVALUATION}")
    wait_for_text(page, "#build-status", "已生成")
    page.keyboard.press("Control+s")
    saved(page)
    wait_for_text(page, "#build-status", "已生成 3 个文件")
    page.goto(server.url)
    row = page.locator(f"tr[data-path='{SELF_EVALUATION}']")
    assert "已生成" in row.text_content() and "待生成" not in row.text_content()
    assert "旧版" in page.locator(f"tr[data-path='{DECLARATION}']").text_content()


# --- placeholders, messages, conflicts ------------------------------------------------------------

def test_a_new_declaration_fails_until_its_placeholders_are_filled_and_says_so_plainly(serve, page, served_workspace):
    server = serve()
    page.goto(server.url)
    accept_next_dialog(page, "新的课题")
    page.locator(f"section[data-unit='{UNIT_2023}'] button[data-action='new']").click()
    page.wait_for_url("**/edit?path=*")
    wait_for_text(page, "#summary", "个错误")
    problems = page.text_content("#problems")
    assert "年度总体目标：尚未填写" in problems and "改为实际的名称" in problems
    assert ".yaml" not in problems and ":" not in problems  # no file, no line, no dotted key
    page.shot("placeholders")
    box(page, "年度总体目标").click()  # typed after the placeholder, not over it: still a draft
    page.keyboard.press("Control+End")
    page.keyboard.type("完成课题研究。")
    wait_for_text(page, "#problems", "年度总体目标：仍留着「待填写」")
    type_over(page, box(page, "年度总体目标"), "完成课题研究。")
    type_over(page, box(page, "绩效指标.产出指标.数量指标.待填写的指标", "name"), "课题数量")
    page.keyboard.press("Tab")
    page.keyboard.type("=1(个)")
    wait_for_text(page, "#summary", "检查通过")


def test_a_save_over_someone_elses_change_offers_each_field_by_its_label(serve, page, served_workspace):
    server = serve()
    page.goto(f"{server.url}/edit?path={DECLARATION}")
    wait_for_preview(page)
    type_over(page, box(page, "项目性质"), "我的修改")
    type_over(page, box(page, "绩效指标.产出指标.数量指标.课题数量", "指标值"), "=9.00(个)")
    path = served_workspace / DECLARATION
    theirs = path.read_text(encoding="utf-8").replace("项目类别: 特定目标类", "项目类别: 别人的修改").replace(
        "项目性质: 其他一次性项目", "项目性质: 别人也改了")
    path.write_text(theirs, encoding="utf-8")
    page.locator("#changed-elsewhere").wait_for(state="visible", timeout=10000)  # noticed without a save
    page.click("#save")
    page.locator("#conflict").wait_for(state="visible")
    rows = page.locator("#conflict-fields tbody tr")
    labels = [rows.nth(i).locator("th").text_content() for i in range(rows.count())]
    assert labels == ["项目性质", "项目类别", "绩效指标 › 产出指标 › 数量指标 › 课题数量 › 指标值"]
    assert "您改过" in rows.nth(0).text_content() and "对方改过" in rows.nth(1).text_content()
    page.shot("conflict")
    assert path.read_text(encoding="utf-8") == theirs  # nothing lost silently
    rows.nth(0).locator("input[value='current']").click()  # theirs for 项目性质; mine for the 指标值
    page.click("#conflict-merge")
    saved(page)
    text = path.read_text(encoding="utf-8")
    assert "项目性质: 别人也改了" in text and "项目类别: 别人的修改" in text and "课题数量: =9.00(个)" in text
    assert box(page, "项目性质").input_value() == "别人也改了"


def test_the_conflict_defaults_keep_a_colleagues_additions_and_renames_and_the_banner_is_seen_then_gone(
        serve, page, served_workspace):
    server = serve()
    page.goto(f"{server.url}/edit?path={DECLARATION}")
    wait_for_preview(page)
    satisfaction = box(page, "绩效指标.满意度指标.服务对象满意度指标.牵头处室满意度", "指标值")
    type_over(page, satisfaction, "≥95(%)")  # far down the page
    path = served_workspace / DECLARATION
    theirs = path.read_text(encoding="utf-8").replace(
        "      工作开展天数: 120\n", "      工作开展天数: 120\n      新增课题数: ≥1(个)\n").replace(
        "课题验收通过率: 100", "结题验收通过率: 100")
    path.write_text(theirs, encoding="utf-8")
    banner = page.locator("#changed-elsewhere")
    banner.wait_for(state="visible", timeout=10000)
    top = banner.bounding_box()
    assert 0 <= top["y"] and top["y"] + top["height"] <= 768  # seen where the person is, not at the top of the page
    page.shot("banner")
    page.keyboard.press("Control+s")
    page.locator("#conflict").wait_for(state="visible")
    rows = page.locator("#conflict-fields tbody tr")
    shown = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        taken = row.locator("input:checked").get_attribute("value")
        shown[row.locator("th").text_content()] = (taken, row.locator("td").nth(0).text_content(),
                                                   row.locator("td").nth(1).text_content())
    page.shot("conflict-defaults")
    indicator = "绩效指标 › 产出指标 › {} › {} › 指标值"
    assert shown == {
        indicator.format("质量指标", "课题验收通过率"): ("current", "（无）对方改过", "100"),
        indicator.format("数量指标", "新增课题数"): ("current", "≥1(个)对方改过", "（无）"),
        indicator.format("质量指标", "结题验收通过率"): ("current", "100对方改过", "（无）"),
        "绩效指标 › 满意度指标 › 服务对象满意度指标 › 牵头处室满意度 › 指标值": ("yours", "90", "≥95(%)您改过"),
    }
    page.click("#conflict-merge")
    saved(page)
    text = path.read_text(encoding="utf-8")
    assert "      新增课题数: ≥1(个)\n" in text and "结题验收通过率: 100" in text and "课题验收通过率" not in text
    assert "牵头处室满意度: ≥95(%)" in text
    assert banner.is_hidden()  # the other change is in the file now: nothing left to warn of


def test_a_change_made_outside_shows_up_without_a_restart(serve, page, served_workspace):
    server = serve()
    page.goto(f"{server.url}/edit?path={DECLARATION}")
    wait_for_preview(page)
    path = served_workspace / DECLARATION
    path.write_text(path.read_text(encoding="utf-8").replace("项目性质: 其他一次性项目", "项目性质: 经常性项目"),
                    encoding="utf-8")
    page.wait_for_function("document.querySelector(\"input[name='项目性质']\")?.value === '经常性项目'", timeout=15000)
    (served_workspace / UNIT_2023 / "坏.yaml").write_text("项目名称: 坏\n绩效指标: [\n", encoding="utf-8")
    page.goto(server.url)
    row = page.locator("tr[data-path$='坏.yaml']")
    assert "有错误" in row.text_content()
    row.locator("summary").click()
    assert "第 3 行：" in row.text_content() and "坏.yaml:" not in row.text_content()
    page.shot("broken-file")
    row.locator("a.project").click()
    page.locator("#problems li").first.wait_for(state="attached")
    assert page.locator("#yaml").is_visible()  # a broken file opens in the YAML tab, with its message


def test_yaml_tab_edits_the_text_with_the_same_checks(serve, page, served_workspace):
    server = serve()
    page.goto(f"{server.url}/edit?path={DECLARATION}")
    wait_for_preview(page)
    page.click("#tab-yaml")
    yaml_text = page.locator("#yaml")
    yaml_text.click()
    page.keyboard.press("Control+Home")
    for _ in range(yaml_text.input_value().split("\n").index("计划完成日期: 2023-12-31")):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")
    page.keyboard.type("计划完成日期: 2022-12-31")
    wait_for_text(page, "#problems", "计划完成日期")
    page.shot("yaml-error")
    page.click("#save")
    page.wait_for_function("document.querySelector('#status').textContent.includes('有错误')")
    assert "计划完成日期: 2022-12-31" in (served_workspace / DECLARATION).read_text(encoding="utf-8")  # never lost


# --- the overview: settings, import, the whole workspace ------------------------------------------

def test_the_units_settings_are_edited_checked_and_saved_from_the_overview(serve, page, served_workspace):
    server = serve()
    page.goto(server.url)
    page.locator(f"section[data-unit='{UNIT_2023}'] a:text('单位设置')").click()
    wait_for_text(page, "#summary", "检查通过")
    type_over(page, page.locator("#s-主管部门"), "上海市某某委员会（新）")
    type_over(page, page.locator("#s-年度"), "二〇二三")  # no project can be read with this
    wait_for_text(page, "#summary", "个错误")
    assert "年度" in page.text_content(".msg[data-for='年度']")
    page.click("#save")
    wait_for_text(page, "#status", "未保存")
    settings_file = served_workspace / UNIT_2023 / "formgen.yaml"
    assert "二〇二三" not in settings_file.read_text(encoding="utf-8")
    page.shot("settings-error")
    type_over(page, page.locator("#s-年度"), "2023")
    wait_for_text(page, "#summary", "检查通过")
    page.click("button[aria-label='上移 课题研究']")  # the 汇总表's order
    page.click("#save")
    wait_for_text(page, "#status", "已保存")
    text = settings_file.read_text(encoding="utf-8")
    assert "主管部门: 上海市某某委员会（新）" in text and "# 本单位所有项目共用的字段" in text  # comments kept
    order = re.search(r"顺序:.*", text, re.S).group(0)
    assert order.index("课题研究") < order.index("长三角一体化城市管理综合执法协调工作")
    page.shot("settings-saved")


def test_the_order_picker_adds_on_its_button_only_and_the_settings_page_says_when_the_build_ended(
        serve, page, served_workspace):
    server = serve()
    page.goto(f"{server.url}/settings?unit={quote(UNIT_2023)}")
    wait_for_text(page, "#summary", "检查通过")
    items = page.locator("ol.order li")
    page.click("button[aria-label='移出顺序 城管执法应急保障']")
    assert items.count() == 11
    picker = page.locator("select[aria-label='添加到顺序']")
    picker.focus()
    page.keyboard.press("ArrowDown")  # choosing with the keys adds nothing yet
    assert picker.input_value() == "城管执法应急保障" and items.count() == 11
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "添加到顺序"
    page.keyboard.press("Enter")
    assert items.count() == 12 and items.last.get_attribute("data-name") == "城管执法应急保障"
    page.keyboard.press("Control+s")
    wait_for_text(page, "#status", "已保存")
    wait_for_text(page, "#build-status", "本单位的表单已重新生成", timeout=240000)
    page.shot("settings-built")
    text = (served_workspace / UNIT_2023 / "formgen.yaml").read_text(encoding="utf-8")
    assert "  - 行政复议受理和行政诉讼应诉工作\n  - 城管执法应急保障\n" in text


def test_old_forms_are_imported_by_upload_and_a_rename_follows_into_the_order(serve, page, served_workspace, tmp_path):
    from formgen.workspace import build

    forms = tmp_path / "旧表"
    forms.mkdir()
    (forms / "u").mkdir()
    (forms / "u" / "课题研究.yaml").write_text((SAMPLES / DECLARATION).read_text(encoding="utf-8").replace(
        "项目名称: 课题研究", "项目名称: 旧课题研究"), encoding="utf-8")
    (forms / "u" / "formgen.yaml").write_text((SAMPLES / UNIT_2023 / "formgen.yaml").read_text(encoding="utf-8"),
                                              encoding="utf-8")
    assert build([forms / "u"], forms / "out", formats=("xlsx",)).ok
    (forms / "说明.txt").write_text("不是表单", encoding="utf-8")
    server = serve()
    page.goto(server.url)
    with page.expect_file_chooser() as chooser:
        page.locator(f"section[data-unit='{UNIT_2023}'] button[data-action='import']").click()
    chooser.value.set_files([forms / "out" / "旧课题研究.xlsx", forms / "说明.txt"])
    wait_for_text(page, "#import-status", "导入 1 张表")
    results = page.text_content("#import-results")
    assert "旧课题研究.xlsx!旧课题研究 → 旧课题研究.yaml" in results and "未导入 说明.txt" in results and "/tmp" not in results
    page.shot("imported")
    page.click("#import-close")
    row = page.locator(f"tr[data-path='{UNIT_2023}/旧课题研究.yaml']")
    row.wait_for()
    # renamed: its file, its 项目名称 and its place in the 汇总表's 顺序
    settings_file = served_workspace / UNIT_2023 / "formgen.yaml"
    settings_file.write_text(settings_file.read_text(encoding="utf-8").replace("  - 课题研究\n", "  - 旧课题研究\n  - 课题研究\n"),
                             encoding="utf-8")
    accept_next_dialog(page, "新课题研究")
    row.locator("button[data-action='rename']").click()
    page.locator(f"tr[data-path='{UNIT_2023}/新课题研究.yaml']").wait_for()
    assert "  - 新课题研究\n  - 课题研究\n" in settings_file.read_text(encoding="utf-8")


def test_login_and_each_user_sees_only_their_units(serve, page, tmp_path):
    from formgen.serve.access import add_user, read_users

    users_file = tmp_path / "用户.yaml"
    add_user(users_file, "张三", "correct horse", [UNIT_2024])
    server = serve(read_users(users_file))
    page.goto(server.url)
    assert page.url.endswith("/login")
    page.locator("input[name='name']").click()
    page.keyboard.type("张三")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    assert "用户名或密码不正确" in page.text_content(".problem")
    page.shot("login-failed")
    page.locator("input[name='password']").click()
    page.keyboard.type("correct horse")
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/")
    assert UNIT_2024 in page.content() and UNIT_2023 not in page.content()
    assert "下载全部单位的输出" not in page.content()  # the whole workspace is for users of every unit
    page.shot("overview-user")
    response = page.goto(f"{server.url}/edit?path={DECLARATION}")
    assert response.status == 404
    page.goto(server.url)
    page.click("text=退出登录")
    page.wait_for_url(server.url + "/login")


# --- the whole task, as a new user does it ---------------------------------------------------------

INDICATORS = [  # 课题研究 as declared, typed into a 2024 申报表: 一级, 二级, 三级, 指标值
    ("产出指标", "数量指标", "课题数量", "=7.00(个)"),
    ("产出指标", "数量指标", "人员配置数量", "≥2(人)"),
    ("产出指标", "质量指标", "课题验收通过率", "=100(%)"),
    ("产出指标", "时效指标", "课题完成及时性", "及时"),
    ("成本指标", "经济成本指标", "课题研究成本", "≤400000(元)"),
    ("效益指标", "社会效益指标", "项目成果共享", "汇编共享"),
    ("满意度指标", "服务对象满意度指标", "牵头处室满意度", "≥90(%)"),
]


def test_the_whole_task_a_declaration_typed_in_and_its_self_evaluation_filled(serve, page, served_workspace, tmp_path):
    server = serve()
    page.goto(server.url)
    page.shot("1-overview")
    accept_next_dialog(page, "社区治理课题研究")
    page.locator(f"section[data-unit='{UNIT_2024}'] button[data-action='new']").click()
    page.wait_for_url("**/edit?path=*")
    wait_for_text(page, "#summary", "个错误")
    page.shot("2-new-declaration")
    # the fields, Tab from one to the next
    box(page, "项目性质").click()
    for value in ("其他一次性项目", "特定目标类"):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    for field, value in (("计划开始日期", "2024-01-01"), ("计划完成日期", "2024-12-31"), ("项目总目标期间", "2024-2024"),
                         ("项目资金.项目资金总额", "400000"), ("项目资金.财政资金", "400000"), ("项目资金.其他资金", "0"),
                         ("项目资金.年度资金申请总额", "400000"), ("项目资金.当年财政拨款", "400000"),
                         ("项目资金.上年结转资金", "0"), ("项目资金.年度其他资金", "0")):
        type_over(page, box(page, field), value)
    type_over(page, box(page, "项目总目标"), "按时按量完成课题研究，全部通过结题验收。")
    type_over(page, box(page, "年度总体目标"), "完成 7 项课题研究，全部通过结题验收。")
    # the indicators: the placeholder renamed, then row after row by keyboard and the add buttons
    first = INDICATORS[0]
    type_over(page, box(page, "绩效指标.产出指标.数量指标.待填写的指标", "name"), first[2])
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type(first[3])
    previous = first
    for level1, level2, name, target in INDICATORS[1:]:
        if level1 != previous[0]:
            page.locator("fieldset.tree > button.add").click()
            page.keyboard.type(level1)
            page.keyboard.press("Tab")  # to its 二级
            page.keyboard.type(level2)
            page.keyboard.press("Tab")  # to its 三级
        elif level2 != previous[1]:
            page.locator(f"[data-path='绩效指标.{level1}'] > button.add").click()
            page.keyboard.type(level2)
            page.keyboard.press("Tab")
        else:
            page.keyboard.press("Control+Enter")  # a row below
        page.keyboard.type(name)
        page.keyboard.press("Tab")
        page.keyboard.type(target)
        previous = (level1, level2, name, target)
    wait_for_text(page, "#summary", "检查通过")
    wait_for_preview(page)
    page.shot("3-declaration-typed")
    page.keyboard.press("Control+s")
    pdf = download(page, "pdf", tmp_path)  # at once
    printed = text_of(pdf)
    assert "2024年度" in printed and all(name in printed for _, _, name, _ in INDICATORS)
    declaration_file = served_workspace / UNIT_2024 / "社区治理课题研究.yaml"
    declared = declaration_file.read_text(encoding="utf-8")
    assert ": 待填写" not in declared and "年度总体目标: 完成 7 项课题研究，全部通过结题验收。" in declared
    page.shot("4-declaration-saved")

    # the 自评表 from it: the same year
    page.goto(server.url)
    accept_next_dialog(page)  # the file name it proposes
    page.locator(f"tr[data-path='{UNIT_2024}/社区治理课题研究.yaml'] button[data-action='self-evaluation']").click()
    page.wait_for_url("**/edit?path=*")
    wait_for_text(page, "#summary", "个错误")
    assert "尚待填写" in page.text_content("#problems")
    page.shot("5-draft")
    draft_file = served_workspace / UNIT_2024 / "社区治理课题研究-自评.yaml"
    assert "年度: 2024" in draft_file.read_text(encoding="utf-8")
    # 全年执行数 down its column with Enter, the results down theirs
    type_over(page, box(page, "项目资金.当年财政拨款.全年执行数"), "396000")
    for _ in range(2):
        page.keyboard.press("Enter")
        page.keyboard.type("0")
    type_over(page, box(page, "年度总体目标.实际完成情况"), "完成 7 项课题研究，均通过结题验收。")
    box(page, "绩效指标.产出指标.数量指标.课题数量.实际完成值").click()
    for actual in ("7.00(个)", "2.00(人)", "100.00(%)", "达成指标", "396000.00(元)", "达成指标", "95.00(%)"):
        page.keyboard.type(actual)
        page.keyboard.press("Enter")
    wait_for_text(page, "#summary", "检查通过", timeout=60000)
    assert "总分" in page.text_content("#totals")
    page.shot("6-self-evaluation-filled")
    page.keyboard.press("Control+s")
    xlsx = download(page, "xlsx", tmp_path)
    evaluated = text_of(xlsx)
    assert "2024年度" in evaluated and "\n39.6\n" in evaluated  # 396,000 元 in 万元
    text = draft_file.read_text(encoding="utf-8")
    assert "# 待填写" not in text and "实际完成值: 达成指标" in text and "年度: 2024" in text
    assert "  当年财政拨款:\n    年初预算数: 400000\n    全年预算数: 400000\n    全年执行数: 396000\n" in text  # in its place
    page.goto(server.url)
    page.shot("7-overview-after", full=True)


def test_the_new_routes_refuse_over_http_what_the_old_ones_refuse(serve, page, tmp_path):
    """Against the running server, as someone probing it would: no session, no token, another unit."""
    from formgen.serve.access import add_user, read_users

    users_file = tmp_path / "用户.yaml"
    add_user(users_file, "张三", "correct horse", [UNIT_2024])
    server = serve(read_users(users_file))
    http = page.request
    for url in ("/api/settings/save", "/api/settings/check"):
        assert http.post(server.url + url, data={"unit": UNIT_2024, "data": {}}).status == 401
    assert http.get(f"{server.url}/api/progress").status == 401
    assert http.get(f"{server.url}/settings?unit={UNIT_2024}").url.endswith("/login")
    page.goto(server.url)
    page.locator("input[name='name']").click()
    page.keyboard.type("张三")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse")
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/")
    token = page.get_attribute("meta[name=csrf]", "content")
    body = {"unit": UNIT_2024, "data": {"年度": "2024"}, "version": None}
    assert http.post(server.url + "/api/settings/save", data=body).status == 403  # no token
    assert http.post(server.url + "/api/settings/save", data=body, headers={"X-CSRF-Token": "forged"}).status == 403
    for unit in (UNIT_2023, "", "..", f"{UNIT_2024}/../{UNIT_2023}"):
        sent = http.post(server.url + "/api/settings/save", data={**body, "unit": unit}, headers={"X-CSRF-Token": token})
        assert sent.status == 404, unit
        upload = http.post(f"{server.url}/api/import?unit={quote(unit)}", headers={"X-CSRF-Token": token}, multipart={
            "files": {"name": "../../x.xlsx", "mimeType": "application/zip", "buffer": b"PK"}})
        assert upload.status == 404, unit
    assert http.get(f"{server.url}/api/progress?path={DECLARATION}").status == 404
    assert http.get(f"{server.url}/download/zip?unit=").status == 404
    assert http.post(server.url + "/api/build", data={}, headers={"X-CSRF-Token": token}).ok
    progress = http.get(f"{server.url}/api/progress").json()
    assert progress["last"]["ok"] and UNIT_2023 not in progress["last"]["text"]  # the lines of the user's units only
