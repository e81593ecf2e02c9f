"""formgen serve without a browser: round-trip saves, paths, access control, the JSON routes."""

import io
import zipfile

import pytest
from starlette.testclient import TestClient

from conftest import DECLARATION, SAMPLES, SELF_EVALUATION, UNIT_2023, UNIT_2024
from formgen.serve import is_loopback, run
from formgen.serve.access import Throttle, add_user, read_users
from formgen.serve.app import create_app
from formgen.serve.editing import Conflict, plain_data, save, updated_text, version_of
from formgen.serve.paths import PathRefused, project_path
from formgen.errors import FormgenError
from formgen.serve.preview import Previewer


# --- saving keeps what the user wrote -------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(p for p in SAMPLES.rglob("*.yaml") if p.name != "formgen.yaml"),
                         ids=lambda p: p.stem)
def test_every_sample_is_written_back_byte_for_byte_when_nothing_changed(path):
    text = path.read_text(encoding="utf-8")
    data = plain_data(text)
    assert data is not None
    assert updated_text(text, data) == text
    # and a change is exactly that change: read back, the data is what the editor sent
    data["项目名称"] = data["项目名称"] + "（改）"
    changed = updated_text(text, data)
    assert plain_data(changed) == data
    assert len(changed.splitlines()) == len(text.splitlines())


def test_an_edit_keeps_comments_order_and_style_and_writes_values_plainly():
    text = (SAMPLES / SELF_EVALUATION).read_text(encoding="utf-8")
    data = plain_data(text)
    data["项目资金"]["当年财政拨款"]["全年执行数"] = "400000.50"
    quantity = data["绩效指标"]["产出指标"]["数量指标"]
    renamed = {("优秀案例征集篇数" if k == "优秀案例征集数量" else k): v for k, v in quantity.items()}
    data["绩效指标"]["产出指标"]["数量指标"] = renamed
    data["绩效指标"]["产出指标"]["数量指标"]["新指标"] = {"指标值": ">5(个)", "实际完成值": "6(个)", "分值": "2"}
    data["年度总体目标"]["实际完成情况"] = "第一段\n第二段\n"
    out = updated_text(text, data)
    assert plain_data(out) == data
    assert "项目资金:  # 元；表上按万元显示\n" in out  # a comment on a changed mapping stays
    assert "年度资金总额: {执行率: 100.00}  # 印发表上的数，formgen 计算后核对" in out
    assert "当年财政拨款: {年初预算数: 413000, 全年预算数: 413000, 全年执行数: 400000.50}" in out  # flow style kept
    assert "      优秀案例征集篇数:\n        指标值: \">15(篇)\"" in out  # renamed in place, quoting kept
    assert "      新指标:\n        指标值: '>5(个)'\n        实际完成值: 6(个)\n        分值: 2\n" in out
    assert "  实际完成情况: |\n    第一段\n    第二段\n" in out
    assert out.index("优秀案例征集篇数") < out.index("联系点年度成效视频")


def test_reordering_moves_an_indicator_with_its_comment():
    text = "项目名称: 甲\n绩效指标:\n  产出指标:\n    数量指标:\n      A: 1  # 甲的说明\n      B: 2\n"
    data = plain_data(text)
    data["绩效指标"]["产出指标"]["数量指标"] = {"B": "2", "A": "1"}
    assert updated_text(text, data) == "项目名称: 甲\n绩效指标:\n  产出指标:\n    数量指标:\n      B: 2\n      A: 1  # 甲的说明\n"


def test_texts_that_yaml_would_read_otherwise_are_quoted():
    data = {"项目名称": "null", "年度": "2024", "年度总体目标": "a: b", "项目总目标": "#1"}
    out = updated_text("", data)
    assert plain_data(out) == data
    assert "项目名称: 'null'" in out and "年度: 2024" in out


def test_a_save_over_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("项目名称: 甲\n", encoding="utf-8")
    first = version_of(path.read_bytes())
    second = save(path, "项目名称: 乙\n", first)
    with pytest.raises(Conflict) as refused:
        save(path, "项目名称: 丙\n", first)
    assert refused.value.current == "项目名称: 乙\n".encode()
    assert path.read_text(encoding="utf-8") == "项目名称: 乙\n"
    assert save(path, "项目名称: 丙\n", second)


# --- paths ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("relative", ["../x.yaml", "a/../../x.yaml", "/etc/passwd", "a\\b.yaml", ".hidden.yaml",
                                      "a/formgen.yaml", "templates/x.yaml", "a/templates/申报表.html", "a/b.txt", "",
                                      "a/./b.yaml", "a//b.yaml", "a/FORMGEN.YAML"])
def test_paths_outside_the_workspace_or_not_projects_are_refused(tmp_path, relative):
    with pytest.raises(PathRefused):
        project_path(tmp_path, relative)


def test_links_are_refused(tmp_path):
    (tmp_path / "unit").mkdir()
    outside = tmp_path.parent / "outside.yaml"
    outside.write_text("x: 1\n")
    (tmp_path / "unit" / "link.yaml").symlink_to(outside)
    (tmp_path / "linked").symlink_to(tmp_path.parent)
    for relative in ("unit/link.yaml", "linked/outside.yaml"):
        with pytest.raises(PathRefused):
            project_path(tmp_path, relative)
    assert project_path(tmp_path, "unit/new.yaml") == tmp_path / "unit" / "new.yaml"


def test_project_files_in_capitals_open_as_the_build_reads_them(tmp_path):
    for name in ("课题.YAML", "课题.Yml"):
        assert project_path(tmp_path, f"unit/{name}") == tmp_path / "unit" / name


# --- the application ----------------------------------------------------------------------------------

@pytest.fixture
def served(served_workspace, tmp_path):
    """``client(users)`` serves the two sample units of ``served_workspace``."""
    root = served_workspace
    clients = []

    def client(users=None, throttle=None):
        app = create_app(root, tmp_path / "out", users, previewer=Previewer(workers=1), throttle=throttle)
        test_client = TestClient(app, base_url="http://127.0.0.1")
        test_client.__enter__()
        clients.append(test_client)
        return test_client

    client.root = root
    client.output = tmp_path / "out"
    yield client
    for test_client in clients:
        test_client.__exit__(None, None, None)


def _csrf(client, page="/"):
    html = client.get(page).text
    return html.split('name="csrf" content="', 1)[1].split('"', 1)[0]


def _post(client, url, body, token=None):
    return client.post(url, json=body, headers={"X-CSRF-Token": token if token is not None else _csrf(client)})


def test_overview_lists_units_and_projects_with_status_and_amount(served):
    client = served()
    page = client.get("/").text
    assert page.count('<tr data-path="') == 12 + 15
    assert "城管执法应急保障" in page and "400,000.00" in page and "正常" in page
    assert client.get("/").headers["content-security-policy"].startswith("default-src 'self'")


def test_broken_file_shows_its_message_and_the_others_still_list(served):
    (served.root / UNIT_2023 / "坏.yaml").write_text("项目名称: 坏\n绩效指标: [\n", encoding="utf-8")
    client = served()
    page = client.get("/").text
    assert "有错误" in page and "第 3 行：{ } 或 [ ] 没有成对" in page and "坏.yaml:" not in page
    assert page.count('<tr data-path="') == 28
    editor = client.get("/edit", params={"path": f"{UNIT_2023}/坏.yaml"})
    assert editor.status_code == 200 and '"data": null' in editor.text  # the YAML tab only


def test_check_returns_the_cli_messages_with_fields_and_the_computed_figures(served):
    client = served()
    token = _csrf(client)
    data = plain_data((served.root / SELF_EVALUATION).read_text(encoding="utf-8"))
    del data["绩效指标"]["产出指标"]["数量指标"]["优秀案例征集数量"]["得分"]
    data["项目资金"]["当年财政拨款"]["全年执行数"] = "206500"
    answer = _post(client, "/api/check", {"path": SELF_EVALUATION, "data": data}, token).json()
    fields = {p["field"]: p for p in answer["problems"]}
    assert "项目资金.年度资金总额.执行率" in fields  # the typed 100.00 no longer matches
    assert answer["computed"]["项目资金.当年财政拨款.执行率"] == "50.00%"
    assert answer["computed"]["绩效指标.产出指标.数量指标.优秀案例征集数量.建议得分"] == "2"
    assert answer["computed"]["评分等级"] in ("优", "良", "中", "差")
    assert "全年执行数: 206500" in answer["text"]


def test_save_writes_keeps_comments_and_refuses_a_stale_version(served):
    client = served()
    token = _csrf(client)
    path = served.root / SELF_EVALUATION
    version = version_of(path.read_bytes())
    data = plain_data(path.read_text(encoding="utf-8"))
    data["项目名称"] = "城管执法应急保障（改）"
    saved = _post(client, "/api/save", {"path": SELF_EVALUATION, "data": data, "version": version}, token)
    assert saved.status_code == 200 and saved.json()["ok"]
    on_disk = path.read_text(encoding="utf-8")
    assert "项目名称: 城管执法应急保障（改）" in on_disk and "# 元；表上按万元显示" in on_disk
    stale = _post(client, "/api/save", {"path": SELF_EVALUATION, "text": "项目名称: 丢\n", "version": version}, token)
    assert stale.status_code == 409
    assert stale.json()["current"] == on_disk and stale.json()["yours"] == "项目名称: 丢\n"
    assert path.read_text(encoding="utf-8") == on_disk


def test_an_invalid_project_is_saved_and_marked(served):
    client = served()
    path = served.root / DECLARATION
    text = path.read_text(encoding="utf-8").replace("计划完成日期: 2023-12-31", "计划完成日期: 2022-12-31")
    saved = _post(client, "/api/save", {"path": DECLARATION, "text": text, "version": version_of(path.read_bytes())})
    assert saved.status_code == 200 and not saved.json()["ok"]
    assert path.read_text(encoding="utf-8") == text
    assert "有错误" in client.get("/").text


def test_changes_need_the_csrf_token(served):
    client = served()
    client.get("/")
    answer = _post(client, "/api/delete", {"path": DECLARATION}, token="forged")
    assert answer.status_code == 403
    assert (served.root / DECLARATION).exists()


def test_requests_cannot_leave_the_workspace(served):
    client = served()
    token = _csrf(client)
    (served.root.parent / "secret.yaml").write_text("项目名称: 秘密\n", encoding="utf-8")
    for path in ("../secret.yaml", f"{UNIT_2023}/../../secret.yaml", f"{UNIT_2023}/formgen.yaml"):
        assert _post(client, "/api/save", {"path": path, "text": "x: 1\n", "version": None}, token).status_code == 404
        assert client.get("/edit", params={"path": path}).status_code == 404
    assert (served.root.parent / "secret.yaml").read_text(encoding="utf-8") == "项目名称: 秘密\n"
    assert _post(client, "/api/new", {"unit": "..", "name": "x"}, token).status_code == 404
    assert _post(client, "/api/new", {"unit": UNIT_2023, "name": "../x"}, token).status_code == 400


def test_user_text_is_escaped(served):
    client = served()
    path = served.root / DECLARATION
    path.write_text(path.read_text(encoding="utf-8").replace("项目名称: 课题研究", "项目名称: <script>alert(1)</script>"),
                    encoding="utf-8")
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    editor = client.get("/edit", params={"path": DECLARATION}).text
    assert "<script>alert" not in editor and "\\u003cscript\\u003ealert(1)" in editor


def test_build_then_download_each_output(served):
    client = served()
    built = _post(client, "/api/build", {}).json()
    assert built["ok"], built["text"]
    assert client.get("/download/form", params={"path": DECLARATION, "format": "docx"}).content[:2] == b"PK"
    assert client.get("/download/form", params={"path": SELF_EVALUATION, "format": "pdf"}).content[:4] == b"%PDF"
    pdf = client.get("/download/compilation", params={"unit": UNIT_2023, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    archive = zipfile.ZipFile(io.BytesIO(client.get("/download/zip", params={"unit": UNIT_2023}).content))
    assert "课题研究.xlsx" in archive.namelist() and not any(n.startswith(".") for n in archive.namelist())
    assert "已生成" in client.get("/").text


def test_new_rename_and_delete(served):
    client = served()
    token = _csrf(client)
    _post(client, "/api/build", {}, token)
    made = _post(client, "/api/new", {"unit": UNIT_2023, "name": "新项目"}, token).json()
    assert made["path"] == f"{UNIT_2023}/新项目.yaml"
    assert "项目名称: 新项目" in (served.root / made["path"]).read_text(encoding="utf-8")
    drafted = _post(client, "/api/new", {"unit": UNIT_2023, "name": "课题研究-自评", "from": DECLARATION}, token)
    assert drafted.status_code == 200
    assert "表单: 自评表" in (served.root / UNIT_2023 / "课题研究-自评.yaml").read_text(encoding="utf-8")
    assert _post(client, "/api/new", {"unit": UNIT_2023, "name": "新项目"}, token).status_code == 409
    renamed = _post(client, "/api/rename", {"path": made["path"], "name": "改名项目"}, token).json()
    assert renamed["path"] == f"{UNIT_2023}/改名项目.yaml"
    assert "项目名称: 改名项目" in (served.root / renamed["path"]).read_text(encoding="utf-8")
    assert not (served.root / made["path"]).exists()
    outputs = served.output / UNIT_2023
    assert (outputs / "课题研究.pdf").exists()
    assert _post(client, "/api/delete", {"path": DECLARATION}, token).status_code == 200
    _post(client, "/api/build", {}, token)
    assert not (served.root / DECLARATION).exists()
    assert not (outputs / "课题研究.pdf").exists()  # its outputs went with it
    assert (outputs / "城管执法应急保障.pdf").exists()


def test_preview_draws_the_pages(served):
    client = served()
    text = (served.root / DECLARATION).read_text(encoding="utf-8")
    answer = _post(client, "/api/preview", {"path": DECLARATION, "text": text})
    assert answer.status_code == 200
    pages = answer.json()["pages"]
    assert len(pages) == 1 and pages[0].startswith("data:image/png;base64,")
    broken = _post(client, "/api/preview", {"path": DECLARATION, "text": "项目名称: [\n"})
    assert broken.status_code == 422 and "错误" in broken.json()["error"]


# --- users ---------------------------------------------------------------------------------------------------

@pytest.fixture
def users(tmp_path):
    path = tmp_path / "用户.yaml"
    add_user(path, "张三", "correct horse", [UNIT_2024])
    add_user(path, "管理员", "battery staple", [])
    assert "correct horse" not in path.read_text(encoding="utf-8")
    return read_users(path)


def _login(client, name, password):
    token = _csrf(client, "/login")
    return client.post("/login", data={"name": name, "password": password, "csrf": token}, follow_redirects=False)


def test_login_is_required_and_each_user_sees_only_their_units(served, users):
    client = served(users)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.post("/api/check", json={}).status_code in (401, 403)
    assert _login(client, "张三", "correct horse").status_code == 303
    page = client.get("/").text
    assert UNIT_2024 in page and UNIT_2023 not in page
    assert client.get("/edit", params={"path": DECLARATION}).status_code == 404
    token = _csrf(client)
    assert _post(client, "/api/save", {"path": DECLARATION, "text": "x: 1\n", "version": None}, token).status_code == 404
    assert client.get("/download/zip", params={"unit": UNIT_2023}).status_code == 404
    assert client.get("/edit", params={"path": SELF_EVALUATION}).status_code == 200


def test_session_cookie_is_httponly_and_samesite(served, users):
    client = served(users)
    response = _login(client, "管理员", "battery staple")
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header


def test_failed_logins_are_slowed_down(served, users):
    client = served(users, throttle=Throttle(free=2, base=30, delay=0))
    for _ in range(2):
        assert _login(client, "张三", "wrong").status_code == 401
    assert _login(client, "张三", "wrong").status_code == 401
    refused = _login(client, "张三", "correct horse")  # even the right password waits now
    assert refused.status_code == 429 and "秒后再试" in refused.text


def test_a_lan_address_needs_a_users_file(tmp_path):
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and not is_loopback("0.0.0.0")
    with pytest.raises(FormgenError, match="--users"):
        run(tmp_path, tmp_path / "out", "0.0.0.0", 8000, None, print)



def test_a_file_of_several_projects_is_never_replaced_by_form_data(served):
    client = served()
    path = served.root / UNIT_2023 / "两个.yaml"
    two = "项目名称: 甲\n---\n项目名称: 乙\n"
    path.write_text(two, encoding="utf-8")
    answer = _post(client, "/api/save", {"path": f"{UNIT_2023}/两个.yaml", "data": {"项目名称": "丙"},
                                         "version": version_of(two.encode())})
    assert answer.status_code == 409 and "YAML 页" in answer.json()["error"]
    assert path.read_text(encoding="utf-8") == two


def test_a_file_not_in_utf8_is_refused_not_corrupted(served):
    client = served()
    path = served.root / UNIT_2023 / "旧编码.yaml"
    content = "项目名称: 旧编码\n".encode("gbk")
    path.write_bytes(content)
    assert "不是 UTF-8 编码" in client.get("/").text
    assert client.get("/edit", params={"path": f"{UNIT_2023}/旧编码.yaml"}).status_code == 422
    answer = _post(client, "/api/save", {"path": f"{UNIT_2023}/旧编码.yaml", "data": {"项目名称": "新"},
                                         "version": version_of(content)})
    assert answer.status_code == 422 and "UTF-8" in answer.json()["error"]
    assert path.read_bytes() == content


# --- the pieces of the server's defences (attacked over HTTP in test_serve_attack.py) ---------------------

@pytest.mark.parametrize("name, content", [
    ("说明.md", "# 说明\n".encode()), ("formgen.yaml", "年度: 2024\n".encode()), ("坏.yaml", b"a: [\n"),
    ("二进制.yaml", bytes(range(256))), ("表.docx", b"PK\x03\x04\x14\x00\x06\x00"),
    ("项目.yaml", "项目名称: 甲\n".encode()), ("目录.yaml", None)])
def test_user_add_writes_only_a_users_file(tmp_path, name, content):
    from click.testing import CliRunner

    from formgen.cli import main

    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    result = CliRunner().invoke(main, ["user", "add", str(path), "张三", "--password", "12345678"])
    assert result.exit_code in (1, 2) and "错误" in result.output and "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert content is None or path.read_bytes() == content
    assert "密码" not in result.output.split("错误", 1)[0]  # refused before the password was asked


def test_user_add_keeps_the_file_a_users_file_and_its_comments(tmp_path):
    path = tmp_path / "用户.yaml"
    add_user(path, "张三", "correct horse", [UNIT_2024])
    path.write_text("# 管理员的备注：2024 年建\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    add_user(path, "李四", "battery staple", [])
    add_user(path, "张三", "new horse!", [UNIT_2023])
    users = read_users(path)
    assert set(users) == {"张三", "李四"} and users["张三"].units == {UNIT_2023} and users["李四"].units is None
    assert path.read_text(encoding="utf-8").startswith("# 管理员的备注：2024 年建\n")


def test_a_throttled_attempt_counts_before_its_password_is_checked():
    throttle = Throttle(free=3, free_per_address=5, base=10)
    assert [throttle.attempt("张三", "10.0.0.1") for _ in range(4)] == [0, 0, 0, 0]  # still being checked
    assert throttle.attempt("张三", "10.0.0.1") > 9  # the fifth waits though none has failed yet
    assert throttle.attempt("李四", "10.0.0.1") == throttle.attempt("王五", "10.0.0.1") == 0  # the address's 5 free, and one
    assert throttle.attempt("赵六", "10.0.0.1") > 9
    throttle.succeeded("王五", "10.0.0.1")  # a right password: the address is not charged for it
    assert throttle.attempt("赵六", "10.0.0.1") == 0
    assert throttle.attempt("张三", "10.0.0.2") > 9  # a name is refused from every address


def test_sessions_end_at_logout_and_outlive_a_restart(tmp_path):
    from formgen.serve.access import User
    from formgen.serve.sessions import Sessions

    user = User("张三", "$argon2id$hash", None)
    sessions = Sessions(tmp_path / "用户.yaml.sessions")
    first, second = sessions.open(user), sessions.open(user)
    again = Sessions(tmp_path / "用户.yaml.sessions")  # a restart
    assert again.find(first).user == "张三" and again.signed(sessions.sign("token")) == "token"
    again.close(first)
    assert again.find(first) is None and Sessions(tmp_path / "用户.yaml.sessions").find(second) is not None
    assert again.signed("token.forged") is None and again.find("forged") is None
    assert first not in (tmp_path / "用户.yaml.sessions").read_text(encoding="utf-8")


def test_each_user_reads_the_build_log_of_their_units():
    from formgen.serve.access import User
    from formgen.serve.building import BuildResult

    text = ("已生成 甲/课题研究\n已生成 乙/秘密项目\n错误：乙/秘密.yaml:3: 项目资金: 77777 不是金额\n"
            "错误：甲/坏.yaml: 无法读取文件\n  续行\n错误：项目.yaml:1: 根目录的\n错误：另一个生成正在使用输出目录\n"
            "未全部完成：生成 2 个表单，失败 3 个，用时 1.0 秒。")
    result = BuildResult(False, text)
    seen = result.seen_by(User("甲的", "", frozenset({"甲"})), {"甲", "乙"}).text
    assert seen.splitlines() == ["已生成 甲/课题研究", "错误：甲/坏.yaml: 无法读取文件", "  续行",
                                 "错误：另一个生成正在使用输出目录", "未全部完成：见上面的错误。"]
    assert result.seen_by(User("管理员", "", None), {"甲", "乙"}) is result


def test_a_running_builds_progress_counts_the_forms_of_the_users_units(tmp_path):
    from formgen.serve.access import User
    from formgen.serve.building import Builder

    for unit in ("甲", "乙"):
        (tmp_path / unit).mkdir()
    builder = Builder(tmp_path, tmp_path / "out")
    builder.lines = ["已生成 甲/课题研究", "已生成 乙/秘密项目", "未生成 乙/坏", "错误：乙/坏.yaml:3: 不是金额", "已生成 汇总表"]
    assert builder.done_for(User("甲的", "", frozenset({"甲"}))) == 1
    assert builder.done_for(User("管理员", "", None)) == 4


def test_a_download_waits_for_the_builds_of_its_own_units_changes_only(tmp_path):
    """A user saving eight large projects in unit 甲 held a download of unit 乙's unchanged forms
    for four minutes: a download now waits for the builds of its unit's changes, and of changes to
    every unit (the workspace's settings); the root's 汇总表 compiles every unit and waits for all."""
    import asyncio

    from formgen.serve.building import Builder

    async def waits(builder, unit) -> bool:
        try:
            await asyncio.wait_for(builder.wait(unit), 0.2)
            return False
        except asyncio.TimeoutError:
            return True

    async def scenario():
        builder = Builder(tmp_path, tmp_path / "out")
        builder.running = True  # 甲's large build runs: nothing here ends it
        builder.request("甲")
        assert [await waits(builder, unit) for unit in ("乙", "甲", "", None)] == [False, True, True, True]
        builder.request(None)  # the workspace's own settings saved
        assert await waits(builder, "乙")
        builder.finished = builder.requested
        await builder._told()
        assert [await waits(builder, unit) for unit in ("乙", "甲", "", None)] == [False] * 4

    asyncio.run(scenario())


def test_the_progress_numbers_a_user_sees_move_only_with_their_units_builds(tmp_path):
    """/api/progress said every save in the workspace (its numbers went up by one): a user of 甲
    now sees the numbers of the requests about 甲 (and about every unit), and a build of 乙 alone
    is no build to them."""
    import asyncio

    from formgen.serve.access import User
    from formgen.serve.building import Builder
    from formgen.serve.progress import build_state

    first, admin = User("甲的", "", frozenset({"甲"})), User("管理员", "", None)

    async def scenario():
        builder = Builder(tmp_path, tmp_path / "out")
        builder.running = True
        mine = builder.request("甲")
        before = build_state(builder, first)
        assert before["running"] and before["requested"] == mine and before["finished"] < mine
        builder.finished = mine  # 甲's build ended; 乙's saves follow
        builder.request("乙")
        builder.request("乙")
        seen = build_state(builder, first)
        assert (seen["running"], seen["requested"], seen["finished"]) == (False, mine, mine)
        assert build_state(builder, admin)["running"] and build_state(builder, admin)["requested"] == mine + 2
        everyone = builder.request(None)  # the workspace's settings concern 甲 too
        assert build_state(builder, first)["running"] and build_state(builder, first)["requested"] == everyone

    asyncio.run(scenario())


@pytest.mark.parametrize("host, name", [("127.0.0.1:8000", "127.0.0.1"), ("[::1]:8000", "::1"), ("Formgen.Test", "formgen.test"),
                                        ("::1", "::1"), ("[::1", ""), ("a:b:c", "a:b:c")])
def test_host_names_are_read_without_their_port(host, name):
    from formgen.serve.guards import host_name

    assert host_name(host) == name


def test_a_placeholder_comment_goes_once_its_field_is_filled_and_the_others_stay():
    text = ("项目资金:  # 元\n  全年执行数:  # 待填写\n\n  # 以下按实际填写\n  全年预算数: 1\n"
            "年度总体目标:\n  实际完成情况:  # 待填写\n  预期目标: 甲\n")
    data = plain_data(text)
    data["项目资金"]["全年执行数"] = "5"
    data["年度总体目标"]["实际完成情况"] = "已完成"
    assert updated_text(text, data) == ("项目资金:  # 元\n  全年执行数: 5\n\n  # 以下按实际填写\n  全年预算数: 1\n"
                                        "年度总体目标:\n  实际完成情况: 已完成\n  预期目标: 甲\n")


# --- builds and downloads -------------------------------------------------------------------------------------

def _xlsx_text(content: bytes) -> str:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None)


def test_a_download_right_after_a_save_is_the_saved_version(served):
    client = served()
    token = _csrf(client)
    assert _post(client, "/api/build", {}, token).json()["ok"]
    path = served.root / DECLARATION
    data = plain_data(path.read_text(encoding="utf-8"))
    data["项目性质"] = "经常性项目"
    saved = _post(client, "/api/save", {"path": DECLARATION, "data": data, "version": version_of(path.read_bytes())},
                  token).json()
    assert saved["build"] >= 2
    # at once, while the build of the save runs: the download waits for it
    download = client.get("/download/form", params={"path": DECLARATION, "format": "xlsx"})
    assert download.status_code == 200 and "经常性项目" in _xlsx_text(download.content)
    progress = client.get("/api/progress", params={"path": DECLARATION}).json()
    assert progress["finished"] >= saved["build"] and not progress["running"]
    assert progress["project"]["current"] and progress["project"]["message"].startswith("已生成 3 个文件，")


def test_a_save_without_a_change_leaves_the_outputs_current(served):
    client = served()
    token = _csrf(client)
    _post(client, "/api/build", {}, token)
    path = served.root / DECLARATION
    before = path.stat().st_mtime_ns
    text = path.read_text(encoding="utf-8")
    _post(client, "/api/save", {"path": DECLARATION, "text": text, "version": version_of(path.read_bytes())}, token)
    assert path.stat().st_mtime_ns == before
    row = client.get("/").text.split(f'<tr data-path="{DECLARATION}">', 1)[1].split("</tr>", 1)[0]
    assert "已生成" in row and "待生成" not in row


def test_outputs_older_than_their_project_are_never_downloaded_as_current(served):
    client = served()
    token = _csrf(client)
    _post(client, "/api/build", {}, token)
    path = served.root / DECLARATION
    # edited outside the browser: the download builds it first
    path.write_text(path.read_text(encoding="utf-8").replace("项目性质: 其他一次性项目", "项目性质: 外面改的"), encoding="utf-8")
    download = client.get("/download/form", params={"path": DECLARATION, "format": "xlsx"})
    assert "外面改的" in _xlsx_text(download.content)
    # with an error no new form can be built: refused, saying why, unless the old one is asked for by name
    path.write_text(path.read_text(encoding="utf-8").replace("计划完成日期: 2023-12-31", "计划完成日期: 2022-12-31"),
                    encoding="utf-8")
    refused = client.get("/download/form", params={"path": DECLARATION, "format": "xlsx"})
    assert refused.status_code == 409 and "有错误" in refused.text
    old = client.get("/download/form", params={"path": DECLARATION, "format": "xlsx", "stale": "1"})
    assert old.status_code == 200 and "外面改的" in _xlsx_text(old.content)
    state = client.get("/api/progress", params={"path": DECLARATION}).json()["project"]
    assert not state["current"] and state["stale"] and "有错误" in state["message"]


def test_a_compilation_kept_from_before_a_failed_build_is_marked_old_and_sent_only_as_old(served):
    client = served()
    token = _csrf(client)
    assert _post(client, "/api/build", {}, token).json()["ok"]

    def compilation_links():
        return client.get("/").text.split(f'data-unit="{UNIT_2023}"', 1)[1].split('class="compilation"', 1)[1].split("</span>", 1)[0]

    assert "旧版" not in compilation_links() and "stale=1" not in compilation_links()
    path = served.root / DECLARATION
    path.write_text(path.read_text(encoding="utf-8").replace("计划完成日期: 2023-12-31", "计划完成日期: 2022-12-31"),
                    encoding="utf-8")
    assert not _post(client, "/api/build", {}, token).json()["ok"]
    links = compilation_links()
    assert links.count("（旧版）") == 3 and links.count("stale=1") == 3
    note = client.get("/").text.split(f'data-unit="{UNIT_2023}"', 1)[1].split("</section>", 1)[0]
    assert "汇总表为旧版：「课题研究」有错误，改正后重新生成" in note
    refused = client.get("/download/compilation", params={"unit": UNIT_2023, "format": "xlsx"})
    assert refused.status_code == 409 and "「课题研究」有错误" in refused.text
    old = client.get("/download/compilation", params={"unit": UNIT_2023, "format": "xlsx", "stale": "1"})
    assert old.status_code == 200 and old.content[:2] == b"PK"
    path.write_text(path.read_text(encoding="utf-8").replace("计划完成日期: 2022-12-31", "计划完成日期: 2023-12-31"),
                    encoding="utf-8")
    assert client.get("/download/compilation", params={"unit": UNIT_2023, "format": "xlsx"}).status_code == 200
    assert "旧版" not in compilation_links()  # the download built it again


def test_the_whole_workspace_zips_for_a_user_of_every_unit_only(served, users):
    client = served(users)
    _login(client, "管理员", "battery staple")
    _post(client, "/api/build", {})
    zipped = client.get("/download/zip", params={"unit": ""})
    assert zipped.status_code == 200, zipped.text
    archive = zipfile.ZipFile(io.BytesIO(zipped.content))
    names = archive.namelist()
    assert f"{UNIT_2023}/课题研究.pdf" in names and f"{UNIT_2024}/城管执法应急保障-自评表.pdf" in names
    assert not any(part.startswith(".") for name in names for part in name.split("/"))
    other = served(users)
    _login(other, "张三", "correct horse")
    assert other.get("/download/zip", params={"unit": ""}).status_code == 404


def test_a_refused_save_names_each_differing_field_by_its_labels(served):
    client = served()
    token = _csrf(client)
    path = served.root / SELF_EVALUATION
    version = version_of(path.read_bytes())
    text = path.read_text(encoding="utf-8")
    theirs = text.replace("项目名称: 城管执法应急保障", "项目名称: 城管执法应急保障（他们改）")
    path.write_text(theirs, encoding="utf-8")
    mine = plain_data(text)
    mine["项目资金"]["当年财政拨款"]["全年执行数"] = "400000"
    mine["绩效指标"]["产出指标"]["数量指标"]["新指标"] = {"指标值": "1", "实际完成值": "1", "分值": "1"}
    answer = _post(client, "/api/save", {"path": SELF_EVALUATION, "data": mine, "version": version}, token)
    assert answer.status_code == 409
    view = answer.json()
    found = {d["label"]: d for d in view["differences"]}
    assert set(found) == {"项目名称", "项目资金 › 当年财政拨款 › 全年执行数", "绩效指标 › 产出指标 › 数量指标 › 新指标（整个指标）"}
    assert found["项目名称"]["current"] == "城管执法应急保障（他们改）" and found["项目名称"]["yours"] == "城管执法应急保障"
    assert found["项目资金 › 当年财政拨款 › 全年执行数"]["yours"] == "400000"
    new = found["绩效指标 › 产出指标 › 数量指标 › 新指标（整个指标）"]
    assert not new["in_current"] and new["in_yours"] and new["path"] == ["绩效指标", "产出指标", "数量指标", "新指标"]
    assert view["current_data"] == plain_data(theirs) and view["version"] == version_of(theirs.encode())
    assert path.read_text(encoding="utf-8") == theirs


# --- the unit's settings, import by upload, rename into 顺序 ---------------------------------------------

def test_unit_settings_are_checked_against_the_units_projects_before_they_are_saved(served):
    client = served()
    token = _csrf(client)
    path = served.root / UNIT_2023 / "formgen.yaml"
    before = path.read_text(encoding="utf-8")
    page = client.get("/settings", params={"unit": UNIT_2023})
    assert page.status_code == 200 and f"单位设置：{UNIT_2023}" in page.text
    data = plain_data(before)
    wrong = {**data, "年度": "二〇二三", "格式": ["docx", "odt"]}
    refused = _post(client, "/api/settings/save", {"unit": UNIT_2023, "data": wrong, "version": version_of(before.encode())}, token)
    assert refused.status_code == 422 and path.read_text(encoding="utf-8") == before
    assert {p["field"] for p in refused.json()["problems"]} == {"格式"}  # the file itself first
    wrong["格式"] = ["docx"]
    problems = _post(client, "/api/settings/check", {"unit": UNIT_2023, "data": wrong}, token).json()["problems"]
    [year] = problems
    assert year["field"] == "年度" and year["text"].endswith("（12 个项目）") and "formgen.yaml" in year["text"]
    good = {**data, "主管部门": "上海市某某委员会（新）", "顺序": ["课题研究", *[n for n in data["顺序"] if n != "课题研究"]]}
    saved = _post(client, "/api/settings/save", {"unit": UNIT_2023, "data": good, "version": version_of(before.encode())}, token)
    assert saved.status_code == 200, saved.json()
    text = path.read_text(encoding="utf-8")
    assert "主管部门: 上海市某某委员会（新）" in text and "顺序:                      # 汇总表中的顺序，同印发的汇总表\n  - 课题研究\n" in text
    stale = _post(client, "/api/settings/save", {"unit": UNIT_2023, "data": good, "version": version_of(before.encode())}, token)
    assert stale.status_code == 409


def test_a_compilation_title_that_names_a_form_is_refused_and_the_build_log_names_no_server_folder(served):
    client = served()
    token = _csrf(client)
    path = served.root / UNIT_2023 / "formgen.yaml"
    before = path.read_text(encoding="utf-8")
    clashing = {**plain_data(before), "汇总表标题": "课题研究"}
    refused = _post(client, "/api/settings/save", {"unit": UNIT_2023, "data": clashing, "version": version_of(before.encode())},
                    token)
    assert refused.status_code == 422 and path.read_text(encoding="utf-8") == before
    [problem] = refused.json()["problems"]
    assert problem["field"] == "汇总表标题" and problem["level"] == "error"
    assert problem["message"] == "汇总表的文件名「课题研究」与项目「课题研究」的表单相同，会覆盖该表单，请改用不同的汇总表标题"
    # the example names formgen init writes are said beside their fields, as warnings: the file saves
    examples = {**plain_data(before), "实施单位": "上海市某某局", "汇总表标题": "上海市某某局项目绩效汇总表"}
    problems = _post(client, "/api/settings/check", {"unit": UNIT_2023, "data": examples}, token).json()["problems"]
    assert {(p["field"], p["level"], p["text"]) for p in problems} == {
        ("实施单位", "warning", "单位设置（formgen.yaml）的 实施单位：仍是示例名称「上海市某某局」：请改为本单位实际的名称"),
        ("汇总表标题", "warning", "单位设置（formgen.yaml）的 汇总表标题：仍是示例名称「上海市某某局项目绩效汇总表」：请改为本单位实际的名称")}
    # written outside the browser: the build refuses it, and says so without the server's folders
    path.write_text(before.replace(plain_data(before)["汇总表标题"], "课题研究"), encoding="utf-8")
    built = _post(client, "/api/build", {}, token).json()
    assert "汇总表的文件名与项目“课题研究”" in built["text"], built["text"]
    assert f"输出文件 {UNIT_2023}/课题研究.* 相同" in built["text"]
    overview = client.get("/").text
    for text in (built["text"], overview):
        assert str(served.output) not in text and str(served.root) not in text and "/tmp" not in text


def test_the_settings_and_imports_of_other_units_are_refused(served, users, tmp_path):
    client = served(users)
    _login(client, "张三", "correct horse")
    token = _csrf(client)
    for unit in (UNIT_2023, "", "../x"):
        assert client.get("/settings", params={"unit": unit}).status_code == 404
        assert _post(client, "/api/settings/save", {"unit": unit, "data": {"年度": "2023"}, "version": None},
                     token).status_code == 404
        sent = client.post("/api/import", params={"unit": unit}, files={"files": ("a.xlsx", b"PK", "application/zip")},
                           headers={"X-CSRF-Token": token})
        assert sent.status_code == 404
    assert client.post("/api/import", params={"unit": UNIT_2024}, files={"files": ("a.xlsx", b"PK")},
                       headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert not (served.root / UNIT_2023 / "a.yaml").exists()
    assert client.get("/api/progress", params={"path": DECLARATION}).status_code == 404


def test_old_forms_are_imported_by_upload_each_said_by_its_own_name(served, tmp_path):
    from formgen.workspace import build

    source = tmp_path / "src" / "u"
    source.mkdir(parents=True)
    (source / "旧项目.yaml").write_text((SAMPLES / DECLARATION).read_text(encoding="utf-8").replace(
        "项目名称: 课题研究", "项目名称: 旧项目"), encoding="utf-8")
    (source / "formgen.yaml").write_text((SAMPLES / UNIT_2023 / "formgen.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert build([source], tmp_path / "built", formats=("xlsx",)).ok
    client = served()
    token = _csrf(client)
    files = [("files", ("旧项目.xlsx", (tmp_path / "built" / "旧项目.xlsx").read_bytes())),
             ("files", ("C:\\文件\\坏.docx", b"not a docx")), ("files", ("说明.txt", b"x"))]
    answer = client.post("/api/import", params={"unit": UNIT_2023}, files=files, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    results = {r["source"]: r for r in answer.json()["results"]}
    assert results["旧项目.xlsx!旧项目"]["written"] == f"{UNIT_2023}/旧项目.yaml"
    assert "坏.docx" in results and results["坏.docx"]["problems"][0].startswith("坏.docx：")  # not a temporary path
    assert "不能导入此类文件" in results["说明.txt"]["problems"][0]
    assert "项目名称: 旧项目" in (served.root / UNIT_2023 / "旧项目.yaml").read_text(encoding="utf-8")
    again = client.post("/api/import", params={"unit": UNIT_2023}, files=files[:1], headers={"X-CSRF-Token": token})
    assert "已存在，未覆盖" in again.json()["results"][0]["problems"][0]


def test_a_rename_renames_the_project_in_the_order_of_its_unit(served):
    client = served()
    token = _csrf(client)
    renamed = _post(client, "/api/rename", {"path": DECLARATION, "name": "课题研究（二期）"}, token)
    assert renamed.status_code == 200
    text = (served.root / UNIT_2023 / "formgen.yaml").read_text(encoding="utf-8")
    assert "  - 长三角一体化城市管理综合执法协调工作\n  - 课题研究（二期）\n  - 城管执法社会宣传\n" in text
    assert "# 汇总表中的顺序，同印发的汇总表" in text


def test_a_rename_of_a_declaration_follows_into_the_self_evaluations_that_name_it(served):
    client = served()
    token = _csrf(client)
    assert _post(client, "/api/new", {"unit": UNIT_2023, "name": "课题研究-自评", "from": DECLARATION}, token).status_code == 200
    beside = served.root / UNIT_2023 / "课题研究-自评.yaml"
    assert "申报表: 课题研究.yaml\n" in beside.read_text(encoding="utf-8")
    elsewhere = served.root / UNIT_2024 / "课题研究-自评.yaml"
    elsewhere.write_text(beside.read_text(encoding="utf-8").replace(
        "申报表: 课题研究.yaml", f"申报表: ../{UNIT_2023}/课题研究.yaml  # 去年的申报表"), encoding="utf-8")
    other = (served.root / SELF_EVALUATION).read_text(encoding="utf-8")
    renamed = _post(client, "/api/rename", {"path": DECLARATION, "name": "课题研究（二期）"}, token)
    assert renamed.status_code == 200
    assert "申报表: 课题研究（二期）.yaml\n" in beside.read_text(encoding="utf-8")
    assert f"申报表: ../{UNIT_2023}/课题研究（二期）.yaml # 去年的申报表\n" in elsewhere.read_text(encoding="utf-8")
    assert (served.root / SELF_EVALUATION).read_text(encoding="utf-8") == other  # names another 申报表: untouched
    checked = _post(client, "/api/check", {"path": f"{UNIT_2023}/课题研究-自评.yaml",
                                           "text": beside.read_text(encoding="utf-8")}, token).json()
    assert not any(p["field"] == "申报表" for p in checked["problems"]), checked["problems"]


def test_an_upload_over_the_limit_is_refused_before_it_is_read(served, monkeypatch):
    from formgen.serve import upload

    monkeypatch.setattr(upload, "MAX_UPLOAD_BYTES", 1000)
    client = served()
    answer = client.post("/api/import", params={"unit": UNIT_2023}, files={"files": ("大.xlsx", b"x" * 2000)},
                         headers={"X-CSRF-Token": _csrf(client)})
    assert answer.status_code == 413 and "最多上传" in answer.json()["error"]
    assert not list((served.root / UNIT_2023).glob("大*"))
