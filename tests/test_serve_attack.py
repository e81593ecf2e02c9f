"""formgen serve attacked over HTTP, as a prober on the office network would: a real ``formgen serve``
process on a free loopback port, raw sockets where a browser would not go.

Each test is one hole of issue 20 and its neighbours: who gets in (user names, sessions, the login
throttle), what a request can make the server read or send (other units' files, links, stylesheet
URLs, the build log, a workspace's 汇总表), what a request can make it hold or do (bodies, nesting,
large projects, previews), and how bad input is answered (4xx, in Chinese, with the security headers,
nothing half-written).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import http.server
import io
import json
import os
import select
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from conftest import SAMPLES, UNIT_2023, UNIT_2024
from projects import DECLARATION as SMALL_DECLARATION
from serving import Served, Visitor, descendants, large_declaration, soak

PASSWORDS = {"甲": "甲的密码-correct", "乙": "乙的密码-correct", "张三": "张三的密码-correct", "管理员": "管理员密码-correct"}
UNITS = {"甲": ["区甲"], "乙": ["区乙"], "张三": [UNIT_2024], "管理员": []}
SECRET = "77777"  # a figure only 区乙's project holds
SELF_EVALUATION = (SAMPLES / UNIT_2024 / "城管执法应急保障-自评.yaml").read_text(encoding="utf-8")
DISTRICT_SETTINGS = "表单: 申报表\n年度: 2023\n主管部门: 上海市某某区\n实施单位: 某某单位\n"


def _self_evaluation(declaration: str) -> str:
    return f"表单: 自评表\n年度: 2024\n申报表: {declaration}\n{SELF_EVALUATION}"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """Two sample units with their own 汇总表, and two district units (区甲, 区乙) compiled by the
    汇总表 of the workspace's own formgen.yaml; 区甲 holds a 自评表 naming 区乙's 申报表."""
    root = tmp_path_factory.mktemp("attack") / "ws"
    for unit in (UNIT_2023, UNIT_2024):
        shutil.copytree(SAMPLES / unit, root / unit)
    (root / "formgen.yaml").write_text("汇总表标题: 全区汇总表\n", encoding="utf-8")
    for unit, name in (("区甲", "甲项目"), ("区乙", "乙秘密项目")):
        (root / unit).mkdir()
        (root / unit / "formgen.yaml").write_text(DISTRICT_SETTINGS, encoding="utf-8")
        text = SMALL_DECLARATION.replace("项目名称: 课题研究", f"项目名称: {name}")
        if unit == "区乙":
            text = text.replace("      人员配置数量: ≥2(人)\n", f"      人员配置数量: ≥2(人)\n      乙的秘密指标: ≥{SECRET}(个)\n")
        (root / unit / f"{name}.yaml").write_text(text, encoding="utf-8")
    (root / "区甲" / "跨单位-自评.yaml").write_text(_self_evaluation("../区乙/乙秘密项目.yaml"), encoding="utf-8")
    (root.parent / "外面.yaml").write_text(SMALL_DECLARATION.replace("≥2(人)", f"≥{SECRET}(人)"), encoding="utf-8")
    return root


def _users_file(folder: Path) -> Path:
    from formgen.serve.access import add_user

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "用户.yaml"
    for name, password in PASSWORDS.items():
        add_user(path, name, password, UNITS[name])
    return path


@pytest.fixture(scope="module")
def lan(workspace, tmp_path_factory):
    """The server as a unit's IT runs it: users, a name besides the address, previews stopped after 10 s,
    behind a proxy on this machine (so that the soak's visitors can come from addresses of their own)."""
    folder = tmp_path_factory.mktemp("lan")
    (folder / "tmp").mkdir()  # its own temporary folder: what an upload leaves there is seen
    served = Served(workspace, folder / "out", "--users", str(_users_file(folder / "users")),
                    "--allow-host", "formgen.test", "--preview-seconds", "10", "--proxy", "127.0.0.1",
                    env={"TMPDIR": str(folder / "tmp")})
    served.temporary = folder / "tmp"
    admin = Visitor(served.url, "管理员", PASSWORDS["管理员"])
    built = admin.post("/api/build", {}).json()
    assert built["ok"], built["text"]
    admin.close()
    yield served
    served.stop()
    assert "Traceback" not in served.output(), served.output()  # nothing a test sent broke a request


def _visitor(served, name=None) -> Visitor:
    return Visitor(served.url, name, PASSWORDS.get(name))


def _chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def _raw(port: int, request: bytes, read_seconds: float = 30) -> tuple[int, str]:
    """Send bytes as they are; the status and the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_seconds) as connection:
        connection.sendall(request)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and b"content-length" in answer.lower():
                    head, _, body = answer.partition(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    if len(body) >= length:
                        break
        except (ConnectionResetError, socket.timeout):
            pass
    text = answer.decode("utf-8", "replace")
    return int(text.split(" ", 2)[1]) if text.startswith("HTTP/") else 0, text


# --- 1. who gets in --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["", "   ", " 张三", "张三\t", "a\u202eb", "x" * 33])
def test_a_user_name_that_could_be_anyone_is_refused_when_added(tmp_path, name):
    users = tmp_path / "用户.yaml"
    done = subprocess.run([sys.executable, "-m", "formgen", "user", "add", str(users), name, "--password", "12345678"],
                          capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.startswith("错误：用户名") and not users.exists()


def test_a_users_file_with_an_empty_name_is_refused_at_start(tmp_path):
    users = tmp_path / "用户.yaml"
    users.write_text('用户:\n  "":\n    密码哈希: "$argon2id$x"\n    单位: 全部\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "formgen", "serve", str(SAMPLES), "--users", str(users),
                           "--port", "1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "用户名不能为空" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("cookie", [None, "formgen_session=", "formgen_session=forged", "formgen_csrf=x.y"])
def test_no_page_and_no_call_without_a_password(lan, cookie):
    headers = {"Cookie": cookie} if cookie else {}
    with httpx.Client(base_url=lan.url, headers=headers) as client:
        for url in ("/", f"/edit?path={UNIT_2024}/城管执法应急保障-自评.yaml", f"/download/zip?unit={UNIT_2024}",
                    "/download/form?path=区乙/乙秘密项目.yaml&format=pdf", "/download/compilation?unit=&format=pdf"):
            answer = client.get(url)
            assert answer.status_code == 303 and answer.headers["location"] == "/login", url
        for url in ("/api/check", "/api/save", "/api/preview", "/api/new", "/api/delete", "/api/build"):
            answer = client.post(url, json={"path": "区乙/乙秘密项目.yaml", "text": "x: 1\n"}, headers={"X-CSRF-Token": "x"})
            assert answer.status_code == 401 and answer.json()["error"] == "请先登录", url
        assert client.get("/api/version", params={"path": "区乙/乙秘密项目.yaml"}).status_code == 401


def test_a_session_ends_at_logout_even_with_a_stale_page(lan):
    visitor = _visitor(lan, "张三")
    copied = dict(visitor.client.cookies)
    answer = visitor.client.post("/logout", data={"csrf": "a token from an old page"})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    with httpx.Client(base_url=lan.url, cookies=copied) as thief:
        assert thief.get("/").status_code == 303
        assert thief.post("/api/check", json={}, headers={"X-CSRF-Token": visitor.token}).status_code == 401
    visitor.close()


def test_a_changed_password_ends_the_sessions_and_a_restart_keeps_them(workspace, tmp_path):
    users = _users_file(tmp_path / "users")
    served = Served(workspace, tmp_path / "out", "--users", str(users))
    try:
        first, second = _visitor(served, "甲"), _visitor(served, "乙")
        sessions = users.with_name(users.name + ".sessions")
        assert stat.S_IMODE(sessions.stat().st_mode) == 0o600
        assert first.client.cookies["formgen_session"] not in sessions.read_text(encoding="utf-8")  # kept as hashes
        served.stop()
        served = Served(workspace, tmp_path / "out", "--users", str(users))
        first.client.base_url = second.client.base_url = served.url
        assert first.client.get("/").status_code == 200  # a restart signs nobody out
        subprocess.run([sys.executable, "-m", "formgen", "user", "add", str(users), "甲", "-u", "区甲",
                        "--password", "a new password"], check=True, capture_output=True)
        assert first.client.get("/").status_code == 303  # signed out by the new password
        assert second.client.get("/").status_code == 200  # the others stay
        assert Visitor(served.url).login("甲", "a new password").status_code == 303
    finally:
        served.stop()


def test_cookies_are_httponly_strict_and_secure_only_behind_https(workspace, tmp_path):
    served = Served(workspace, tmp_path / "out", "--users", str(_users_file(tmp_path / "users")), "--proxy", "127.0.0.1")
    try:
        visitor = Visitor(served.url)
        plain = visitor.login("甲", PASSWORDS["甲"]).headers["set-cookie"].lower()
        assert "httponly" in plain and "samesite=strict" in plain and "secure" not in plain
        behind = Visitor(served.url, headers={"X-Forwarded-Proto": "https"})
        secure = behind.login("甲", PASSWORDS["甲"]).headers["set-cookie"].lower()
        assert "; secure" in secure
    finally:
        served.stop()
    direct = Served(workspace, tmp_path / "out2", "--users", str(_users_file(tmp_path / "users2")))
    try:  # no --proxy: X-Forwarded-Proto from anyone is not believed
        spoofed = Visitor(direct.url, headers={"X-Forwarded-Proto": "https"})
        assert "secure" not in spoofed.login("甲", PASSWORDS["甲"]).headers["set-cookie"].lower()
    finally:
        direct.stop()


# --- 2. the Host a browser sends ---------------------------------------------------------------------------

def test_only_the_servers_own_names_are_answered(lan):
    for host, status in ((f"127.0.0.1:{lan.port}", 303), (f"localhost:{lan.port}", 303), ("formgen.test", 303),
                         ("FORMGEN.TEST:8000", 303), (f"[::1]:{lan.port}", 303), ("evil.example", 400),
                         (f"evil.example:{lan.port}", 400), ("127.0.0.1.evil.example", 400), ("", 400)):
        answer = httpx.get(lan.url + "/", headers={"Host": host})
        assert answer.status_code == status, host
        if status == 400:
            assert _chinese(answer.text) and answer.headers["content-security-policy"].startswith("default-src")
    assert _raw(lan.port, b"GET / HTTP/1.0\r\n\r\n")[0] == 400  # no Host at all
    assert _raw(lan.port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n")[0] == 400


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The server as one person runs it on their own machine: no users file, a workspace of one unit whose
    form.css reaches for a URL on this machine and for a file outside the workspace."""
    base = tmp_path_factory.mktemp("local")
    root = base / "ws"
    shutil.copytree(SAMPLES / UNIT_2023, root / UNIT_2023)
    trap = _Trap()
    red = base / "外面的图.png"
    from PIL import Image

    Image.new("RGB", (400, 400), (255, 0, 0)).save(red)
    (root / "templates").mkdir()
    css = (Path(__import__("formgen").__file__).parent / "templates" / "form.css").read_text(encoding="utf-8")
    (root / "templates" / "form.css").write_text(
        f'@import url("{trap.url}/imported.css");\n{css}\n'
        f'body {{ background: url("{red.as_uri()}"); }}\n'
        f'td {{ background-image: url("{trap.url}/cell.png"); }}\n'
        f'@font-face {{ font-family: "x"; src: url("{trap.url}/font.otf"); }}\n', encoding="utf-8")
    served = Served(root, base / "out")
    served.trap, served.root, served.output_folder = trap, root, base / "out"
    yield served
    served.stop()
    trap.stop()
    assert "Traceback" not in served.output(), served.output()


def test_a_page_that_renames_itself_to_this_server_is_refused_in_loopback_mode(local):
    """DNS rebinding: the attacker's name now points at 127.0.0.1, but the browser still says its name."""
    assert httpx.get(local.url + "/", headers={"Host": f"attacker.example:{local.port}"}).status_code == 400
    assert httpx.post(local.url + "/api/delete", json={"path": f"{UNIT_2023}/课题研究.yaml"},
                      headers={"Host": "attacker.example"}).status_code == 400
    assert (local.root / UNIT_2023 / "课题研究.yaml").exists()
    assert httpx.get(local.url + "/").status_code == 200


# --- 3. what a request can make the server read -------------------------------------------------------------

class _Trap:
    """An HTTP server that counts the requests it gets: none may come."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def _red_pixels(png: bytes) -> int:
    from PIL import Image

    data = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    return sum(1 for i in range(0, len(data), 3) if data[i] > 200 and data[i + 1] < 60 and data[i + 2] < 60)


def test_a_stylesheet_fetches_nothing_and_reads_no_file_outside_in_preview_and_build(local):
    import pypdfium2

    visitor = _visitor(local)
    path = f"{UNIT_2023}/课题研究.yaml"
    preview = visitor.post("/api/preview", {"path": path, "text": (local.root / path).read_text(encoding="utf-8")})
    assert preview.status_code == 200, preview.text
    pages = [base64.b64decode(src.split(",", 1)[1]) for src in preview.json()["pages"]]
    assert pages and all(_red_pixels(page) == 0 for page in pages)
    built = visitor.post("/api/build", {}).json()
    assert built["ok"], built["text"]
    document = pypdfium2.PdfDocument(str(local.output_folder / UNIT_2023 / "课题研究.pdf"))
    png = io.BytesIO()
    document[0].render(scale=0.5).to_pil().save(png, "PNG")
    assert _red_pixels(png.getvalue()) == 0  # the file outside the workspace is not in the PDF
    assert local.trap.hits == []  # and nothing was fetched


def test_the_fetcher_refuses_everything_but_data_and_our_fonts():
    from formgen.writers import weasy

    page = weasy._page_class()("<html/>")
    for url in ("http://127.0.0.1:9/x.css", "https://example.com/x.png", "file:///etc/passwd", "ftp://x/y",
                "file:///root/.cache/formgen/fonts/../../../etc/passwd.otf"):
        with pytest.raises(ValueError):
            page.url_fetcher.fetch(url)
    assert page.url_fetcher.fetch("data:text/css,a%7B%7D").read() == b"a{}"  # the one scheme let through


@pytest.mark.parametrize("declaration", ["../区乙/乙秘密项目.yaml", "../../外面.yaml", "../../不存在.yaml", "/etc/passwd",
                                         "ABSOLUTE", "../区甲/../区乙/乙秘密项目.yaml", "../区乙", "x" * 300 + ".yaml"])
def test_a_declaration_outside_the_users_units_is_not_read_nor_said_to_exist(lan, workspace, declaration):
    declaration = str(workspace / "区乙" / "乙秘密项目.yaml") if declaration == "ABSOLUTE" else declaration
    visitor = _visitor(lan, "甲")
    answer = visitor.post("/api/check", {"path": "区甲/跨单位-自评.yaml", "text": _self_evaluation(declaration)})
    assert answer.status_code == 200
    problems = answer.json()["problems"]
    said = [p["message"] for p in problems if p["field"] == "申报表"]
    assert said == [f"申报表 {declaration} 不在您可以打开的单位目录中，未核对（应写相对于本文件的路径）"] \
        or (declaration.startswith("x") and said[0].startswith("找不到申报表"))
    said = json.dumps([p for p in problems if p["field"] != "申报表"], ensure_ascii=False)  # besides the text sent back
    assert SECRET not in said and str(workspace.parent) not in said and "乙的秘密指标" not in said
    # said by the form's labels before the message, with no file at all: no server path
    assert all(p["text"].endswith(p["message"]) and "/" not in p["text"][:-len(p["message"])] for p in problems)


def test_a_declaration_is_read_within_the_users_units_but_not_through_a_link(lan, workspace):
    admin = _visitor(lan, "管理员")
    answer = admin.post("/api/check", {"path": "区甲/跨单位-自评.yaml", "text": _self_evaluation("../区乙/乙秘密项目.yaml")})
    messages = " ".join(p["message"] for p in answer.json()["problems"])
    assert "乙的秘密指标" in messages  # compared: 管理员 may open 区乙
    link = workspace / "区甲" / "链接.yaml"
    link.symlink_to(workspace / "区乙" / "乙秘密项目.yaml")
    try:
        answer = _visitor(lan, "甲").post("/api/check", {"path": "区甲/跨单位-自评.yaml",
                                                        "text": _self_evaluation("链接.yaml")})
        assert SECRET not in answer.text and "乙的秘密指标" not in answer.text
        assert "不在您可以打开的单位目录中" in answer.text
    finally:
        link.unlink()


def test_a_self_evaluation_naming_itself_is_answered_not_a_crash(lan, workspace):
    visitor = _visitor(lan, "甲")
    answer = visitor.post("/api/check", {"path": "区甲/跨单位-自评.yaml", "text": _self_evaluation("跨单位-自评.yaml")})
    assert answer.status_code == 200 and "跨单位-自评.yaml 读不出或有错误，无法核对" in answer.text


def test_a_templates_error_names_it_by_its_workspace_path(lan, workspace):
    unit = workspace / "模板坏"
    (unit / "templates").mkdir(parents=True)
    (unit / "templates" / "申报表.html").write_text("<table>\n{% if %}\n</table>\n", encoding="utf-8")
    (unit / "项目.yaml").write_text(SMALL_DECLARATION, encoding="utf-8")
    try:
        answer = _visitor(lan, "管理员").post("/api/preview", {"path": "模板坏/项目.yaml", "text": SMALL_DECLARATION})
        assert answer.status_code == 422 and "模板坏/templates/申报表.html" in answer.json()["error"]
        assert str(workspace) not in answer.text
    finally:
        shutil.rmtree(unit)


def test_the_overview_and_the_build_log_show_only_the_users_units(lan, workspace):
    broken = workspace / "区乙" / f"出错{SECRET}.yaml"
    broken.write_text(f"项目名称: 乙出错\n项目资金: {SECRET}秘密\n", encoding="utf-8")
    try:
        admin, first = _visitor(lan, "管理员"), _visitor(lan, "甲")
        built = admin.post("/api/build", {}).json()
        assert not built["ok"] and f"区乙/出错{SECRET}.yaml" in built["text"]
        mine = first.post("/api/build", {}).json()
        assert mine["ok"] and "区乙" not in mine["text"] and SECRET not in mine["text"], mine
        overview = first.client.get("/").text
        assert "不在您可以打开的单位目录中" in overview  # the 自评表 on disk naming 区乙's 申报表, as its file says
        overview = overview.replace("../区乙/乙秘密项目.yaml", "")
        assert "区甲" in overview and "区乙" not in overview and SECRET not in overview
        assert "全区汇总表" not in overview and UNIT_2023 not in overview
    finally:
        broken.unlink()
        _visitor(lan, "管理员").post("/api/build", {})


def test_the_workspaces_own_compilation_is_only_for_users_of_every_unit(lan):
    first, admin = _visitor(lan, "甲"), _visitor(lan, "管理员")
    for unit in ("区甲", ""):
        answer = first.client.get("/download/compilation", params={"unit": unit, "format": "pdf"})
        assert answer.status_code == 404 and SECRET.encode() not in answer.content
    whole = admin.client.get("/download/compilation", params={"unit": "", "format": "pdf"})
    assert whole.status_code == 200 and whole.content[:4] == b"%PDF"
    assert "全区汇总表" in admin.client.get("/").text


def test_links_are_not_projects_nor_outputs(lan, workspace):
    out = Path(lan.log).parent / "out"
    links = {workspace / "区甲" / "借来的.yaml": workspace / "区乙" / "乙秘密项目.yaml",
             workspace / "区甲" / "外面的.yaml": workspace.parent / "外面.yaml",
             out / "区甲" / "借来的.pdf": out / "区乙" / "乙秘密项目.pdf",
             out / "区甲" / "借来的目录": out / "区乙"}
    for link, target in links.items():
        link.symlink_to(target)
    try:
        first = _visitor(lan, "甲")
        assert "借来的" not in first.client.get("/").text and "外面的" not in first.client.get("/").text
        assert first.client.get("/edit", params={"path": "区甲/借来的.yaml"}).status_code == 404
        archive = zipfile.ZipFile(io.BytesIO(first.client.get("/download/zip", params={"unit": "区甲"}).content))
        assert archive.namelist() and not any("借来" in n or "乙" in n for n in archive.namelist())
        admin = _visitor(lan, "管理员")
        built = admin.post("/api/build", {}).json()
        assert "区甲/借来的.yaml: 是链接，不作项目读取" in built["text"]
        assert not (out / "区甲" / "外面的.pdf").exists()
    finally:
        for link in links:
            link.unlink()
        _visitor(lan, "管理员").post("/api/build", {})


# --- 4. how many tries, how much a request may hold -----------------------------------------------------------

@pytest.fixture(scope="module")
def throttled(workspace, tmp_path_factory):
    """A server whose login throttle the tests exhaust (from 127.0.0.1, which no other test may then use)."""
    folder = tmp_path_factory.mktemp("throttled")
    served = Served(workspace, folder / "out", "--users", str(_users_file(folder / "users")))
    yield served
    served.stop()


async def _guesses(url: str, count: int, name=lambda i: "张三", forwarded=lambda i: None) -> list[int]:
    """``count`` wrong passwords sent at once; the status of each answer."""
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:
        token = (await client.get("/login")).text.split('name="csrf" content="', 1)[1].split('"', 1)[0]

        async def guess(i):
            headers = {"X-Forwarded-For": forwarded(i)} if forwarded(i) else {}
            answer = await client.post("/login", data={"name": name(i), "password": f"guess {i}", "csrf": token},
                                       headers=headers)
            return answer.status_code

        return await asyncio.gather(*(guess(i) for i in range(count)))


def test_300_parallel_guesses_are_not_all_checked(throttled):
    # A name: 3 free failures and the one that locks it for 5 s; each further one doubles the lock (10, 20, 40 s),
    # so that however slowly a loaded machine answers the 300, only a few more can be checked.
    statuses = asyncio.run(_guesses(throttled.url, 300))
    assert statuses.count(401) <= 4 + 3 and statuses.count(429) >= 300 - 7, sorted(statuses)
    sprayed = asyncio.run(_guesses(throttled.url, 300, name=lambda i: f"猜{i}",
                                   forwarded=lambda i: f"10.0.{i // 250}.{i % 250}"))
    # X-Forwarded-For is not believed without --proxy: all 300 come from one address (20 free failures)
    assert sprayed.count(401) <= 21 + 3 and sprayed.count(429) >= 300 - 24, sorted(sprayed)


def test_a_proxys_forwarded_address_is_believed_from_the_proxy_only(workspace, tmp_path):
    served = Served(workspace, tmp_path / "out", "--users", str(_users_file(tmp_path / "users")), "--proxy", "127.0.0.1")
    try:
        locked = asyncio.run(_guesses(served.url, 40, name=lambda i: f"猜{i}", forwarded=lambda i: "10.9.9.9"))
        assert locked.count(429) >= 19
        other = Visitor(served.url, headers={"X-Forwarded-For": "10.8.8.8"})
        assert other.login("甲", PASSWORDS["甲"]).status_code == 303  # another office is not locked out
    finally:
        served.stop()


def test_connections_that_never_finish_a_request_are_closed_and_one_address_cannot_hold_many(lan):
    """Slowloris: connections that send part of a request's headers and then nothing were held for
    ever; 20,000 of them used up the server's open files and no one else was answered. One address
    (not the proxy's) now holds a bounded number, each closed when its headers do not come in time."""
    from formgen.serve.connections import HEADERS_SECONDS, MAX_PER_ADDRESS

    def closed(connections) -> int:
        """How many the server closed: they read as ended (it sends nothing else on them)."""
        ended, _, _ = select.select(connections, [], [], 0)
        return len(ended)

    held = []
    try:
        for _ in range(MAX_PER_ADDRESS + 20):
            connection = socket.socket()
            connection.bind(("127.0.0.2", 0))  # the prober's own address: the proxy's, 127.0.0.1, is exempt
            connection.connect(("127.0.0.1", lan.port))
            connection.sendall(b"GET /login HTTP/1.1\r\nHost: formgen.test\r\n")
            held.append(connection)
        assert httpx.get(f"{lan.url}/login", timeout=30).status_code == 200  # everyone else is answered
        time.sleep(1)
        assert closed(held) == 20
        time.sleep(HEADERS_SECONDS + 1)
        assert closed(held) == len(held)
        answer = _raw(lan.port, b"GET /login HTTP/1.1\r\nHost: formgen.test\r\nConnection: close\r\n\r\n")
        assert answer[0] == 200  # a whole request is answered as before
    finally:
        for connection in held:
            connection.close()


def test_a_login_body_is_bounded_before_it_is_parsed(lan):
    memory = _rss(lan.process.pid)
    status, answer = _raw(lan.port, b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                    b"application/x-www-form-urlencoded\r\nContent-Length: 500000000\r\n\r\nname=")
    assert status == 413 and "请求内容过大" in answer and "content-security-policy" in answer.lower()
    fields = b"&".join(b"f%d=" % i + b"x" * 1_000_000 for i in range(50))  # 50 MB without a length: chunked
    with httpx.Client(base_url=lan.url, timeout=60) as client:
        def chunks():
            for start in range(0, len(fields), 1_000_000):
                yield fields[start:start + 1_000_000]

        try:
            answer = client.post("/login", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert answer.status_code == 413
        except httpx.HTTPError:
            pass  # the server may close the connection while the rest is still being sent
    assert _rss(lan.process.pid) < memory + 30_000_000


def test_a_json_body_is_bounded_before_it_is_read(lan):
    status, answer = _raw(lan.port, b"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                                    b"\r\nContent-Length: 300000000\r\n\r\n{")
    assert status == 413 and "请求内容过大" in answer
    visitor = _visitor(lan, "甲")
    memory = _rss(lan.process.pid)
    body = b'{"path": "\\u533a\\u7532/\\u7532\\u9879\\u76ee.yaml", "text": "' + b"a" * 40_000_000 + b'"}'

    def chunks():
        for start in range(0, len(body), 1_000_000):
            yield body[start:start + 1_000_000]

    try:
        answer = visitor.client.post("/api/check", content=chunks(), headers={"X-CSRF-Token": visitor.token,
                                                                             "Content-Type": "application/json"})
        assert answer.status_code == 413 and "MB" in answer.json()["error"]
    except httpx.HTTPError:
        pass
    assert _rss(lan.process.pid) < memory + 60_000_000  # the bound (13 MB), not the 40 MB sent


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# --- 5. bad input: 4xx, in Chinese, with the security headers, nothing half-written -----------------------------

_PATH = "区甲/甲项目.yaml"
_LONG_PART = "长" * 90 + ".yaml"  # 272 bytes


@pytest.mark.parametrize("url, body, status, words", [
    ("/api/check", {"path": _PATH, "text": "项目名称: \ud800\n"}, 400, "U+D800"),
    ("/api/save", {"path": _PATH, "text": "项目名称: \udfff\n", "version": None}, 400, "U+DFFF"),
    ("/api/save", {"path": _PATH, "data": {"项目名称": "\ud800"}, "version": None}, 400, "U+D800"),
    ("/api/new", {"unit": "区甲", "name": "\ud83d"}, 400, "U+D83D"),
    ("/api/rename", {"path": _PATH, "name": "a\udc00"}, 400, "U+DC00"),
    ("/api/check", {"path": _PATH, "data": "DEEP"}, 400, "嵌套过深"),
    ("/api/check", {"path": f"区甲/{_LONG_PART}", "text": "x: 1\n"}, 404, "名称过长"),
    ("/api/save", {"path": f"区甲/{'长' * 90}/x.yaml", "text": "x: 1\n", "version": None}, 404, "名称过长"),
    ("/api/new", {"unit": "区甲", "name": ["a"]}, 400, "项目名称应为文字，实际为 列表"),
    ("/api/new", {"unit": "区甲", "name": None}, 400, "缺少项目名称"),
    ("/api/new", {"unit": "区甲", "name": 12}, 400, "项目名称应为文字，实际为 数字"),
    ("/api/new", {"unit": "区甲"}, 400, "缺少项目名称"),
    ("/api/new", {"unit": ["区甲"], "name": "x"}, 404, "没有这个单位"),
    ("/api/check", {"path": ["区甲/甲项目.yaml"], "text": "x"}, 400, "项目路径应为文字"),
    ("/api/save", {"path": _PATH, "text": 5, "version": None}, 400, "项目文本应为文字"),
    ("/api/new", {"unit": "区甲", "name": "CON"}, 400, "Windows 保留的设备名"),
    ("/api/new", {"unit": "区甲", "name": "COM¹"}, 400, "Windows 保留的设备名"),
    ("/api/new", {"unit": "区甲", "name": "CONOUT$"}, 400, "Windows 保留的设备名"),
    ("/api/new", {"unit": "区甲", "name": "com1.txt"}, 400, "Windows 保留的设备名"),
    ("/api/new", {"unit": "区甲", "name": "a."}, 400, "不能以 . 结尾"),
    ("/api/new", {"unit": "区甲", "name": "." + "a"}, 400, "不能以 . 开头"),
    ("/api/new", {"unit": "区甲", "name": "名" * 61}, 400, "最多 60 字"),
    ("/api/new", {"unit": "区甲", "name": "a/b"}, 400, "不能含"),
    ("/api/new", {"unit": "区甲", "name": "formgen"}, 400, "formgen.yaml"),
    ("/api/new", {"unit": "区甲", "name": "gnp\u202eexe.png"}, 400, "看不见的字符"),
    ("/api/rename", {"path": _PATH, "name": "x" * 61}, 400, "最多 60 字"),
])
def test_bad_input_is_answered_with_its_reason_and_nothing_is_written(lan, workspace, url, body, status, words):
    if body.get("data") == "DEEP":
        body["data"] = nested = {}
        for _ in range(100):
            nested["x"] = nested = {}
    before = {p: p.read_bytes() for p in (workspace / "区甲").iterdir() if p.is_file()}
    visitor = _visitor(lan, "甲")
    raw = json.dumps(body).encode()  # \ud800 goes as the escape a browser's JSON.stringify writes
    answer = visitor.client.post(url, content=raw, headers={"X-CSRF-Token": visitor.token, "Content-Type": "application/json"})
    assert answer.status_code == status and words in answer.json()["error"], answer.text
    assert _chinese(answer.json()["error"]) and answer.headers["content-security-policy"].startswith("default-src")
    assert {p: p.read_bytes() for p in (workspace / "区甲").iterdir() if p.is_file()} == before


@pytest.mark.parametrize("raw, words", [(b"[" * 100_000, "嵌套过深"), (b"\xff\xfe{}", "UTF-8"), (b"{", "不是有效的 JSON"),
                                        (b"[1]", "JSON 对象")])
def test_a_body_that_is_no_json_object_is_answered(lan, raw, words):
    visitor = _visitor(lan, "甲")
    answer = visitor.client.post("/api/check", content=raw, headers={"X-CSRF-Token": visitor.token})
    assert answer.status_code == 400 and words in answer.json()["error"]


def test_paths_too_long_for_the_file_system_are_answered_on_every_route(lan):
    visitor = _visitor(lan, "甲")
    long_path = f"区甲/{_LONG_PART}"
    for method, url, params in (("GET", "/edit", {"path": long_path}), ("GET", "/api/version", {"path": long_path}),
                                ("GET", "/download/form", {"path": long_path, "format": "pdf"}),
                                ("GET", "/download/zip", {"unit": "长" * 90}),
                                ("GET", "/download/compilation", {"unit": "长" * 90, "format": "pdf"})):
        answer = visitor.client.request(method, url, params=params)
        assert answer.status_code == 404 and _chinese(answer.text), url
    for url in ("/api/preview", "/api/delete", "/api/rename"):
        answer = visitor.post(url, {"path": long_path, "text": "x", "name": "y"})
        assert answer.status_code == 404 and "名称过长" in answer.json()["error"], url


def test_an_unforeseen_error_is_answered_in_chinese_with_the_security_headers(tmp_path, served_workspace):
    from starlette.testclient import TestClient

    from formgen.serve.app import create_app
    from formgen.serve.preview import Previewer

    app = create_app(served_workspace, tmp_path / "out", previewer=Previewer(workers=1))
    app.state.server.workspace.units = lambda *args: 1 / 0  # a bug anywhere below a route
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        answer = client.get("/")
        assert answer.status_code == 500 and "服务器出错" in answer.text
        assert answer.headers["content-security-policy"].startswith("default-src")
        assert client.get("/", headers={"Host": "evil.example"}).headers["x-content-type-options"] == "nosniff"


# --- 6. work shared fairly ---------------------------------------------------------------------------------------

def test_checking_a_project_at_the_bounds_leaves_the_server_answering(lan, workspace):
    visitor = _visitor(lan, "甲")
    text = large_declaration()
    finished = {}

    def check():
        answer = visitor.post("/api/check", {"path": _PATH, "text": text})
        finished["check"] = time.monotonic()
        return answer

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        checking = pool.submit(check)
        time.sleep(0.2)
        login = httpx.get(lan.url + "/login")
        finished["login"] = time.monotonic()
        assert checking.result().status_code == 200 and login.status_code == 200
    assert finished["login"] < finished["check"]  # the login page did not wait for the check


def _preview_workers(served) -> set[int]:
    """The server's preview worker processes: its own children started by multiprocessing's spawn
    (a build is ``formgen build`` and its pool, not these)."""
    workers = set()
    for pid in descendants(served.process.pid):
        try:
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if parent == served.process.pid and b"spawn_main" in command:
            workers.add(pid)
    return workers


def test_a_preview_past_its_time_is_stopped_and_the_next_one_works(lan, workspace):
    visitor = _visitor(lan, "甲")
    started = time.monotonic()
    slow = visitor.post("/api/preview", {"path": _PATH, "text": large_declaration()})
    assert slow.status_code == 422 and "超过 10 秒" in slow.json()["error"]
    assert time.monotonic() - started < 60  # stopped, not run for minutes
    small = visitor.post("/api/preview", {"path": _PATH, "text": (workspace / _PATH).read_text(encoding="utf-8")})
    assert small.status_code == 200 and small.json()["pages"]


def test_an_abandoned_preview_is_stopped(lan, workspace):
    visitor = _visitor(lan, "甲")
    before = _preview_workers(lan)
    body = json.dumps({"path": _PATH, "text": large_declaration()}).encode()
    request = (f"POST /api/preview HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               f"X-CSRF-Token: {visitor.token}\r\nCookie: formgen_session={visitor.client.cookies['formgen_session']}\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", lan.port)) as connection:
        connection.sendall(request)
        time.sleep(1.0)  # the preview has started: the browser goes away (a newer edit, a closed tab)
    deadline = time.monotonic() + 8  # less than the 10 s the job would otherwise run
    while time.monotonic() < deadline and not (before - _preview_workers(lan)):
        time.sleep(0.1)
    assert before - _preview_workers(lan), "the worker drawing the abandoned preview still runs"


def test_one_users_large_previews_leave_room_for_the_others(lan, workspace):
    greedy, other = _visitor(lan, "甲"), _visitor(lan, "张三")
    small = {"path": f"{UNIT_2024}/城管执法应急保障-自评.yaml",
             "text": (workspace / UNIT_2024 / "城管执法应急保障-自评.yaml").read_text(encoding="utf-8")}
    big = large_declaration()

    async def race():
        async with httpx.AsyncClient(base_url=lan.url, cookies=greedy.client.cookies, timeout=120) as client:
            headers = {"X-CSRF-Token": greedy.token}
            large = [asyncio.ensure_future(client.post("/api/preview", json={"path": path, "text": big}, headers=headers))
                     for path in (_PATH, "区甲/跨单位-自评.yaml")]  # two workers: 甲 may hold only one of them
            await asyncio.sleep(1.0)
            answer = await asyncio.to_thread(other.post, "/api/preview", small)
            waiting = [not task.done() for task in large]
            for task in large:  # 甲 leaves: the server stops both jobs
                task.cancel()
            return answer, waiting

    answer, waiting = asyncio.run(race())
    assert answer.status_code == 200 and answer.json()["pages"]
    assert all(waiting)  # 张三 was not queued behind 甲's previews


def test_a_short_soak_of_readers_editors_previewers_and_attackers(lan):
    users = {name: PASSWORDS[name] for name in ("甲", "张三", "乙")}
    paths = {"甲": _PATH, "张三": f"{UNIT_2024}/城管执法应急保障-自评.yaml", "乙": "区乙/乙秘密项目.yaml"}
    figures = asyncio.run(soak(lan, users, paths, seconds=8, readers=3, editors=2, previewers=2, hostile=2, intruder="乙"))
    assert not figures.errors, figures.errors
    assert {"overview", "editor", "check", "save", "preview"} <= set(figures.latencies)  # each kind was answered
    # the attackers are answered 4xx, or their connection closed while they still send a bomb
    refused = {"400", "401", "413", "422", "429", "409", "503", "ReadError", "WriteError", "RemoteProtocolError"}
    assert set(figures.hostile) <= refused | {"200"}, figures.hostile  # 200: a project at the bounds, checked


# --- 7. the browser workspace's own routes (issue 22): settings, progress, upload, conflicts, the root's zip --------

_BOUNDARY = "formgen-attack-boundary"
_MULTIPART = f"multipart/form-data; boundary={_BOUNDARY}"


def _multipart(parts: list[tuple[bytes, bytes]], closed: bool = True) -> bytes:
    """A multipart body of (headers, content) parts, as it is sent: nothing a browser would check."""
    body = b"".join(b"--%s\r\n%s\r\n\r\n%s\r\n" % (_BOUNDARY.encode(), headers, content) for headers, content in parts)
    return body + (b"--%s--\r\n" % _BOUNDARY.encode() if closed else b"")


def _file_part(name: str | bytes, content: bytes) -> tuple[bytes, bytes]:
    name = name.encode() if isinstance(name, str) else name
    return b'Content-Disposition: form-data; name="files"; filename="%s"\r\nContent-Type: application/octet-stream' % name, content


def _upload(visitor: Visitor, unit: str, body: bytes, token: str | None = None) -> httpx.Response:
    return visitor.client.post("/api/import", params={"unit": unit}, content=body,
                               headers={"Content-Type": _MULTIPART, "X-CSRF-Token": visitor.token if token is None else token})


def _upload_left(served: Served) -> list[Path]:
    """What an upload left in the server's temporary folder (its previews keep folders of their own there)."""
    return list(served.temporary.glob("formgen-import-*"))


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def _session_head(visitor: Visitor, method: str, url: str, length: int, token: str, kind: str = _MULTIPART) -> bytes:
    """The head of a request of ``visitor``'s session declaring a body of ``length`` bytes."""
    return (f"{method} {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {kind}\r\nX-CSRF-Token: {token}\r\n"
            f"Cookie: formgen_session={visitor.client.cookies['formgen_session']}\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def test_the_workspaces_own_routes_need_a_session(lan, workspace):
    before = _files(workspace / "区甲")
    with httpx.Client(base_url=lan.url) as client:
        for url in ("/settings?unit=区甲", "/download/zip?unit=", "/download/zip?unit=区甲"):
            answer = client.get(url)
            assert answer.status_code == 303 and answer.headers["location"] == "/login", url
        for url in ("/api/progress", "/api/progress?path=区甲/甲项目.yaml"):
            assert client.get(url).json() == {"error": "请先登录"}
        for url in ("/api/settings/check", "/api/settings/save"):
            answer = client.post(url, json={"unit": "区甲", "text": "年度: 2023\n", "version": None},
                                 headers={"X-CSRF-Token": "x"})
            assert answer.status_code == 401, url
        answer = client.post("/api/import", params={"unit": "区甲"}, content=_multipart([_file_part("a.xlsx", b"PK")]),
                             headers={"Content-Type": _MULTIPART, "X-CSRF-Token": "x"})
        assert answer.status_code == 401 and answer.json()["error"] == "请先登录"
    assert _files(workspace / "区甲") == before and not _upload_left(lan)


def test_the_workspaces_own_changes_need_the_pages_token_before_the_body_is_read(lan, workspace):
    first, second = _visitor(lan, "甲"), _visitor(lan, "乙")
    before = _files(workspace / "区甲")
    for token in ("", "forged", second.token):  # another session's token is no better
        for url in ("/api/settings/check", "/api/settings/save"):
            answer = first.client.post(url, json={"unit": "区甲", "text": "年度: 2024\n", "version": None},
                                       headers={"X-CSRF-Token": token})
            assert answer.status_code == 403 and "页面已过期" in answer.json()["error"], url
        answer = _upload(first, "区甲", _multipart([_file_part("a.xlsx", b"PK")]), token=token)
        assert answer.status_code == 403
    # a 90 MB upload with a forged token: refused on its head, the body never waited for
    started = time.monotonic()
    status, answer = _raw(lan.port, _session_head(first, "POST", "/api/import?unit=%E5%8C%BA%E7%94%B2", 90_000_000,
                                                  "forged") + b"--" + _BOUNDARY.encode())
    assert status == 403 and "页面已过期" in answer and time.monotonic() - started < 20
    assert _files(workspace / "区甲") == before and not _upload_left(lan)


def test_another_units_settings_progress_uploads_conflicts_and_zips_are_not_there(lan, workspace):
    from formgen.serve.editing import version_of

    first = _visitor(lan, "甲")
    before = {**_files(workspace / "区乙"), workspace / "formgen.yaml": (workspace / "formgen.yaml").read_bytes()}
    for unit in ("区乙", "", "..", "区甲/../区乙", "/区乙", UNIT_2023, "不存在"):
        page = first.client.get("/settings", params={"unit": unit})
        assert page.status_code == 404 and "某某区" not in page.text and "全区汇总表" not in page.text, unit
        for url in ("/api/settings/check", "/api/settings/save"):
            answer = first.post(url, {"unit": unit, "text": "汇总表标题: 被改了\n", "version": None})
            assert answer.status_code == 404 and answer.json()["error"] == "没有这个单位", (unit, url)
        answer = _upload(first, unit, _multipart([_file_part("乙.xlsx", b"PK")]))
        assert answer.status_code == 404, unit
        assert first.client.get("/download/zip", params={"unit": unit}).status_code == 404, unit
    for path in ("区乙/乙秘密项目.yaml", "区乙/不存在.yaml", "../外面.yaml"):
        answer = first.client.get("/api/progress", params={"path": path})
        assert answer.status_code == 404 and SECRET not in answer.text, path
    # a refused save shows the file as it is now, field by field: never another unit's
    secret = workspace / "区乙" / "乙秘密项目.yaml"
    stale = first.post("/api/save", {"path": "区乙/乙秘密项目.yaml", "text": "项目名称: 甲改的\n", "version": "0" * 16})
    assert stale.status_code == 404 and SECRET not in stale.text and "乙的秘密指标" not in stale.text
    mine = workspace / "区甲" / "甲项目.yaml"
    own = first.post("/api/save", {"path": "区甲/甲项目.yaml", "text": "项目名称: 甲改的\n", "version": "0" * 16})
    assert own.status_code == 409 and own.json()["version"] == version_of(mine.read_bytes())  # the user's own: shown
    assert {**_files(workspace / "区乙"), workspace / "formgen.yaml": (workspace / "formgen.yaml").read_bytes()} == before
    assert secret.read_bytes() == before[secret] and not _upload_left(lan)


def test_the_builds_progress_and_log_say_nothing_of_other_units(lan, workspace):
    broken = workspace / "区乙" / f"出错{SECRET}.yaml"
    broken.write_text(f"项目名称: 乙出错\n项目资金: {SECRET}秘密\n", encoding="utf-8")
    try:
        admin, first = _visitor(lan, "管理员"), _visitor(lan, "甲")
        assert not admin.post("/api/build", {}).json()["ok"]
        seen = admin.client.get("/api/progress").json()["last"]
        assert not seen["ok"] and f"区乙/出错{SECRET}.yaml" in seen["text"]
        progress = first.client.get("/api/progress", params={"path": "区甲/甲项目.yaml"}).json()
        said = json.dumps(progress, ensure_ascii=False)
        assert progress["last"]["ok"] and "区乙" not in said and SECRET not in said and UNIT_2023 not in said
        assert progress["project"]["current"] and progress["project"]["message"].startswith("已生成")
        overview = first.client.get("/").text.replace("../区乙/乙秘密项目.yaml", "")  # what the 自评表 on disk names
        assert "区乙" not in overview and SECRET not in overview
    finally:
        broken.unlink()
        _visitor(lan, "管理员").post("/api/build", {})


def test_the_workspaces_zip_is_only_for_users_of_every_unit(lan, workspace):
    first, admin = _visitor(lan, "甲"), _visitor(lan, "管理员")
    refused = first.client.get("/download/zip", params={"unit": ""})
    assert refused.status_code == 404 and refused.headers["content-security-policy"].startswith("default-src")
    assert "下载全部单位的输出" not in first.client.get("/").text
    whole = admin.client.get("/download/zip", params={"unit": ""})
    assert whole.status_code == 200 and "ws.zip" in whole.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(whole.content)).namelist()
    assert "区甲/甲项目.pdf" in names and "区乙/乙秘密项目.pdf" in names and "全区汇总表.pdf" in names
    assert not any(part.startswith(".") for name in names for part in name.split("/"))  # no build record, no cache
    own = zipfile.ZipFile(io.BytesIO(first.client.get("/download/zip", params={"unit": "区甲"}).content)).namelist()
    assert own and all(not name.startswith(("区乙", "全区")) and "乙" not in name for name in own)


def test_the_new_routes_answer_only_the_servers_own_names(lan):
    for method, url in (("GET", "/settings?unit=区甲"), ("GET", "/api/progress"), ("POST", "/api/import?unit=区甲"),
                        ("POST", "/api/settings/save"), ("GET", "/download/zip?unit=")):
        answer = httpx.request(method, lan.url + url, headers={"Host": "evil.example"})
        assert answer.status_code == 400 and _chinese(answer.text), url


def test_an_upload_is_bounded_at_the_socket_and_written_to_disk_as_it_comes(lan, workspace):
    visitor = _visitor(lan, "甲")
    before = _files(workspace / "区甲")
    url = "/api/import?unit=%E5%8C%BA%E7%94%B2"
    status, answer = _raw(lan.port, _session_head(visitor, "POST", url, 200_000_000, visitor.token))
    assert status == 413 and "请求内容过大" in answer and "content-security-policy" in answer.lower()
    memory = _rss(lan.process.pid)
    head, _ = _file_part("大.xlsx", b"")

    def past_the_bound():  # chunked, no length said: 110 MB counted as it comes
        yield b"--%s\r\n%s\r\n\r\n" % (_BOUNDARY.encode(), head)
        for _ in range(110):
            yield b"\0" * 1_000_000

    try:
        answer = visitor.client.post("/api/import", params={"unit": "区甲"}, content=past_the_bound(),
                                     headers={"Content-Type": _MULTIPART, "X-CSRF-Token": visitor.token})
        assert answer.status_code == 413
    except httpx.HTTPError:
        pass  # the server may close the connection while the rest is still being sent
    # 4 files of 19 MB, within every bound: on disk while they come, not in memory; gone when answered
    peak, sampling = [memory], True

    def sample():
        while sampling:
            peak.append(_rss(lan.process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        body = _multipart([_file_part(f"旧表{i}.xlsx", bytes([65 + i]) * 19_000_000) for i in range(4)])
        answer = _upload(visitor, "区甲", body)
    finally:
        sampling = False
        sampler.join()
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["source"] for r in results] == [f"旧表{i}.xlsx" for i in range(4)]
    assert all(r["written"] is None and "不是可导入的表单文件" in r["problems"][0] for r in results)
    assert max(peak) < memory + 40_000_000, (memory, max(peak))  # not the 76 MB received
    assert _files(workspace / "区甲") == before and not _upload_left(lan)


@pytest.mark.parametrize("parts, closed, status, words", [
    ([_file_part(f"{i}.xlsx", b"PK") for i in range(51)], True, 413, "文件过多"),
    ([(b'Content-Disposition: form-data; name="x%d"' % i, b"v") for i in range(5)], True, 400, "只应有文件"),
    ([(b'Content-Disposition: form-data; name="unit"', "区乙".encode() * 1000)], True, 400, "只应有文件"),
    ([_file_part(b"a" * 20_000 + b".xlsx", b"PK")], True, 400, "文件名过长"),
    ([(b"X-Padding: " + b"a" * 20_000 + b'\r\nContent-Disposition: form-data; name="files"; filename="a.xlsx"', b"PK")],
     True, 400, "上传的内容无效"),
    ([(b"".join(b"X-%d: 1\r\n" % i for i in range(500)) + b'Content-Disposition: form-data; name="files"; filename="a.xlsx"',
       b"PK")], True, 400, "上传的内容无效"),  # 500 headers in a part
    ([_file_part("a.xlsx", b"PK")], False, 400, "未传完"),
    ([], True, 400, "请选择要导入的文件"),
])
def test_an_upload_of_too_many_parts_or_too_long_headers_is_refused(lan, workspace, parts, closed, status, words):
    visitor = _visitor(lan, "甲")
    before = _files(workspace / "区甲")
    answer = _upload(visitor, "区甲", _multipart(parts, closed))
    assert answer.status_code == status and words in answer.json()["error"], answer.text
    assert _chinese(answer.json()["error"]) and answer.headers["content-security-policy"].startswith("default-src")
    assert _files(workspace / "区甲") == before and not _upload_left(lan)


def test_an_upload_that_is_no_multipart_body_is_answered(lan):
    visitor = _visitor(lan, "甲")
    for kind, body in (("application/json", b"{}"), ("multipart/form-data", b"--x--\r\n"),
                       (_MULTIPART, b"garbage without a boundary")):
        answer = visitor.client.post("/api/import", params={"unit": "区甲"}, content=body,
                                     headers={"Content-Type": kind, "X-CSRF-Token": visitor.token})
        assert answer.status_code == 400 and "上传的内容无效" in answer.json()["error"], kind
    assert not _upload_left(lan)


@pytest.mark.parametrize("name, shown", [
    ("../../区乙/偷.xlsx", "偷.xlsx"), ("..\\..\\区乙\\偷.xlsx", "偷.xlsx"), ("/etc/cron.d/偷.xlsx", "偷.xlsx"),
    ("..", "文件1"), ("../.xlsx", "文件1.xlsx"), ("CON.xlsx", "_CON.xlsx"), ("a\u202egnp.xlsx", "agnp.xlsx"),
    ("名" * 200 + ".xlsx", "名" * 60 + ".xlsx"), ("a\x01b.xlsx", "a_b.xlsx"), ("formgen.yaml", "_formgen.yaml"),
    ('a"b.xlsx', "a_b.xlsx"), ("a.xlsx/../../../x", "x"),
])
def test_a_hostile_file_name_writes_nothing_outside_the_unit(lan, workspace, name, shown):
    visitor = _visitor(lan, "甲")
    outside = {**_files(workspace / "区乙"), **{p: p.read_bytes() for p in workspace.parent.iterdir() if p.is_file()}}
    before = _files(workspace / "区甲")
    answer = _upload(visitor, "区甲", _multipart([_file_part(name.replace('"', '\\"'), b"not a form")]))
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["results"]
    assert result["source"] == shown and result["written"] is None
    assert result["problems"][0].startswith(f"{shown}：") and str(lan.temporary) not in answer.text
    assert _files(workspace / "区甲") == before and not _upload_left(lan)
    assert {**_files(workspace / "区乙"), **{p: p.read_bytes() for p in workspace.parent.iterdir() if p.is_file()}} == outside


def test_an_imported_form_lands_in_the_users_unit_whatever_its_file_is_called(lan, workspace):
    visitor = _visitor(lan, "甲")
    form = (Path(lan.log).parent / "out" / UNIT_2023 / "课题研究.xlsx").read_bytes()
    body = _multipart([_file_part("../../区乙/课题研究.xlsx", form), _file_part("大.xlsx", b"x" * (20 * 2**20 + 1))])
    try:
        answer = _upload(visitor, "区甲", body)
        assert answer.status_code == 200, answer.text
        results = {r["source"]: r for r in answer.json()["results"]}
        assert results["课题研究.xlsx!课题研究"]["written"] == "区甲/课题研究.yaml"
        assert "文件过大" in results["大.xlsx"]["problems"][0]  # refused by itself; the other still imported
        assert (workspace / "区甲" / "课题研究.yaml").is_file() and not (workspace / "区乙" / "课题研究.yaml").exists()
        again = _upload(visitor, "区甲", _multipart([_file_part("课题研究.xlsx", form)]))
        [result] = again.json()["results"]
        assert result["problems"] == ["课题研究.xlsx!课题研究：区甲/课题研究.yaml 已存在，未覆盖"]  # no server path
    finally:
        (workspace / "区甲" / "课题研究.yaml").unlink(missing_ok=True)
        _visitor(lan, "管理员").post("/api/build", {})
    assert not _upload_left(lan)


@pytest.mark.parametrize("text, words", [
    (DISTRICT_SETTINGS + "金额小数位: 七\n", "（2 个项目）"),  # the unit's two projects would not load
    ("年度: 2023\n---\n汇总表标题: 第二个文档\n", "只能有一个文档"),
    ("未知字段: 1\n", "不认识此字段"),
    ("!!python/object/apply:os.system [echo 1]\n", "应为 键: 值 的映射"),
    ("a: &x [*x]\n", "锚点和别名"),
    ("年度: [\n", "没有成对"),
    ("格式: [docx, exe]\n", "格式"),
])
def test_unit_settings_are_written_only_when_they_read_as_settings_and_break_no_project(lan, workspace, text, words):
    from formgen.serve.editing import version_of

    visitor = _visitor(lan, "甲")
    path = workspace / "区甲" / "formgen.yaml"
    before = path.read_bytes()
    try:
        answer = visitor.post("/api/settings/save", {"unit": "区甲", "text": text, "version": version_of(before)})
        assert answer.status_code == 422 and words in json.dumps(answer.json(), ensure_ascii=False), answer.text
        assert str(workspace) not in answer.text and path.read_bytes() == before
    finally:
        path.write_bytes(before)


def test_unit_settings_that_are_a_link_or_a_pipe_are_neither_read_nor_written(lan, workspace):
    unit = workspace / "区丙"
    unit.mkdir()
    other = workspace / "区乙" / "formgen.yaml"
    before = other.read_bytes()
    admin = _visitor(lan, "管理员")
    try:
        (unit / "formgen.yaml").symlink_to(other)
        page = admin.client.get("/settings", params={"unit": "区丙"})
        assert page.status_code == 404 and "某某区" not in page.text
        answer = admin.post("/api/settings/save", {"unit": "区丙", "text": "年度: 2030\n", "version": None})
        assert answer.status_code == 404 and other.read_bytes() == before and (unit / "formgen.yaml").is_symlink()
        (unit / "formgen.yaml").unlink()
        os.mkfifo(unit / "formgen.yaml")  # reading it would wait for ever
        assert admin.client.get("/settings", params={"unit": "区丙"}, timeout=20).status_code == 404
        answer = admin.client.post("/api/settings/save", json={"unit": "区丙", "text": "年度: 2030\n", "version": None},
                                   headers={"X-CSRF-Token": admin.token}, timeout=20)
        assert answer.status_code == 404
    finally:
        shutil.rmtree(unit)


def test_a_rename_changes_the_order_of_the_users_own_folders_only(lan, workspace):
    root_settings, unit_settings = workspace / "formgen.yaml", workspace / "区甲" / "formgen.yaml"
    root_before, unit_before = root_settings.read_bytes(), unit_settings.read_bytes()
    root_settings.write_text("汇总表标题: 全区汇总表\n顺序: [乙秘密项目, 甲项目]\n", encoding="utf-8")
    unit_settings.write_text(DISTRICT_SETTINGS + "顺序: [甲项目]\n", encoding="utf-8")
    visitor = _visitor(lan, "甲")
    try:
        answer = visitor.post("/api/rename", {"path": _PATH, "name": "甲项目改"})
        assert answer.status_code == 200, answer.text
        assert "顺序:\n  - 甲项目改\n" in unit_settings.read_text(encoding="utf-8")  # the unit's own
        assert root_settings.read_text(encoding="utf-8") == "汇总表标题: 全区汇总表\n顺序: [乙秘密项目, 甲项目]\n"
    finally:
        if (workspace / "区甲" / "甲项目改.yaml").exists():
            assert visitor.post("/api/rename", {"path": "区甲/甲项目改.yaml", "name": "甲项目"}).status_code == 200
        root_settings.write_bytes(root_before)
        unit_settings.write_bytes(unit_before)
        _visitor(lan, "管理员").post("/api/build", {})
