"""``formgen serve`` as its users meet it: its own process, reached over HTTP on a free loopback port.

Shared by the attack tests (``test_serve_attack.py``) and the soak benchmark (``benchmarks/serve.py``):
``Served`` starts and stops the server, ``Visitor`` is one browser (its cookies, its CSRF token),
``large_declaration`` a project at the loader's bounds, ``soak`` many visitors at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from projects import DECLARATION as SMALL_DECLARATION

ROOT = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """``formgen serve WORKSPACE -o OUTPUT ARGS…`` in its own process, on a free port of 127.0.0.1,
    with ``env`` added to its environment; what it prints is kept in ``log`` (read it with ``output()``)."""

    def __init__(self, workspace: Path, output: Path, *args: str, log: Path | None = None, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or output.parent / f"serve-{self.port}.log"
        self._out = open(self.log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "formgen", "serve", str(workspace), "-o", str(output), "--port", str(self.port), *args],
            stdout=self._out, stderr=subprocess.STDOUT, cwd=workspace.parent,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"formgen serve 未能启动：{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"formgen serve 90 秒内未开始监听：{self.output()}") from None
                time.sleep(0.1)

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_bytes().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()

    def memory(self) -> int:
        """Resident bytes of the server and its worker processes (previews, builds)."""
        return sum(_rss(pid) for pid in [self.process.pid, *descendants(self.process.pid)])


def descendants(pid: int) -> list[int]:
    """The processes started by ``pid``, and theirs (from /proc)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def csrf_of(html: str) -> str:
    return html.split('name="csrf" content="', 1)[1].split('"', 1)[0]


class Visitor:
    """One browser: an httpx client with its cookies, signed in when ``name`` is given."""

    def __init__(self, url: str, name: str | None = None, password: str | None = None, **options):
        self.client = httpx.Client(base_url=url, timeout=120, **options)
        self.token = csrf_of(self.client.get("/login", follow_redirects=True).text)
        if name:
            answer = self.login(name, password)
            assert answer.status_code == 303, answer.text
            self.token = csrf_of(self.client.get("/").text)

    def login(self, name: str, password: str, **headers) -> httpx.Response:
        return self.client.post("/login", data={"name": name, "password": password, "csrf": self.token}, headers=headers)

    def post(self, url: str, body, **headers) -> httpx.Response:
        return self.client.post(url, json=body, headers={"X-CSRF-Token": self.token, **headers})

    def close(self) -> None:
        self.client.close()


def large_declaration(indicators: int = 500, characters: int = 2_900) -> str:
    """A 申报表 of ``indicators`` 三级, each 指标值 ``characters`` long: 1.46 M characters at the defaults,
    inside the loader's bounds (2 M a file, 32,767 a text, 500 三级)."""
    head = SMALL_DECLARATION.split("绩效指标:")[0]
    rows = [f"      指标{i:03d}: 达成目标{'长' * characters}" for i in range(indicators)]
    return head + "绩效指标:\n  产出指标:\n    数量指标:\n" + "\n".join(rows) + "\n"


# --- many visitors at once -----------------------------------------------------------------------------------

@dataclass
class Figures:
    """What each kind of request met during a soak."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)  # well-behaved requests that failed, with why
    busy: int = 0  # previews told the server is busy (503): a designed answer the editor retries
    hostile: dict[str, int] = field(default_factory=dict)  # hostile requests by status
    memory: list[int] = field(default_factory=list)  # server + workers, sampled each second

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def error(self, kind: str, why: str) -> None:
        self.errors.setdefault(kind, []).append(why)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0.0


async def soak(served: Served, users: dict[str, str], paths: dict[str, str], seconds: float, readers: int,
               editors: int, previewers: int, hostile: int, intruder: str) -> Figures:
    """``readers`` (overview, editor page, a download), ``editors`` (editor page, check, save),
    ``previewers`` and ``hostile`` visitors at once for ``seconds``, each from an address of its own
    (the server must believe a proxy on 127.0.0.1). Half the hostile ones are not signed in: password
    guesses, bodies past every bound, JSON bombs, a foreign Host; the others are signed in as user
    ``intruder``: a project at the loader's bounds to check and to preview, lone surrogates, deep
    nesting. ``users``: name → password, the others taken in turn by the well-behaved visitors;
    ``paths``: name → a project of that user's unit."""
    figures = Figures()
    names = [name for name in users if name != intruder]
    big = large_declaration()
    clients: list[httpx.AsyncClient] = []

    async def signed_in(number: int, name: str) -> tuple[httpx.AsyncClient, str] | None:
        client = httpx.AsyncClient(base_url=served.url, timeout=120,
                                   headers={"X-Forwarded-For": f"10.1.{number // 200}.{number % 200 + 1}"})
        clients.append(client)
        token = csrf_of((await client.get("/login")).text)
        answer = await client.post("/login", data={"name": name, "password": users[name], "csrf": token})
        if answer.status_code != 303:
            figures.error("login", f"{name}: {answer.status_code}")
            return None
        return client, csrf_of((await client.get("/")).text)

    async def timed(kind: str, request, expect=(200,)) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = await request
        except httpx.HTTPError as error:
            figures.error(kind, type(error).__name__)
            return None
        figures.add(kind, time.monotonic() - started)
        if response.status_code == 503 and kind == "preview":
            figures.busy += 1
        elif response.status_code not in expect:
            figures.error(kind, f"{response.status_code} {response.text[:200]}")
        return response

    def hostile_answer(status) -> None:
        figures.hostile[str(status)] = figures.hostile.get(str(status), 0) + 1

    async def reader(client, token, path) -> None:
        await timed("overview", client.get("/"))
        await timed("editor", client.get("/edit", params={"path": path}))
        await timed("download", client.get("/download/form", params={"path": path, "format": "pdf"}), (200, 404))

    async def editor(client, token, path) -> None:
        page = await timed("editor", client.get("/edit", params={"path": path}))
        if page is None or page.status_code != 200:
            return
        state = _state(page.text)
        headers = {"X-CSRF-Token": token}
        checked = await timed("check", client.post("/api/check", json={"path": path, "text": state["text"]}, headers=headers))
        if checked is not None and checked.status_code == 200:
            body = {"path": path, "text": checked.json()["text"], "version": state["version"]}
            await timed("save", client.post("/api/save", json=body, headers=headers), (200, 409))  # 409: another saved first

    async def previewer(client, token, path) -> None:
        text = _state((await client.get("/edit", params={"path": path})).text)["text"]
        await timed("preview", client.post("/api/preview", json={"path": path, "text": text}, headers={"X-CSRF-Token": token}))

    async def heavy(client, token, path) -> None:
        headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
        for url, body in (("/api/check", {"path": path, "text": big}), ("/api/check", {"path": path, "text": "名称: \ud800\n"}),
                          ("/api/save", {"path": path, "data": _nested(40), "version": None}),
                          ("/api/preview", {"path": path, "text": big})):
            try:  # json.dumps writes \ud800 as its escape, as a browser's JSON.stringify does
                hostile_answer((await client.post(url, content=json.dumps(body), headers=headers)).status_code)
            except httpx.HTTPError as error:
                hostile_answer(type(error).__name__)

    async def stranger(client) -> None:
        """Guesses (a made-up name, and the first user's: that name and this address get locked, nobody
        else), a login body of 2 MB, 5 MB of ``[`` to the JSON API, a Host of another site."""
        token = csrf_of((await client.get("/login")).text)
        guesses = len(figures.hostile)
        for request in (client.post("/login", data={"name": names[0] if guesses % 2 else f"猜{guesses}",
                                                    "password": "guess", "csrf": token}),
                        client.post("/login", content=b"name=" + b"x" * 2_000_000,
                                    headers={"Content-Type": "application/x-www-form-urlencoded"}),
                        client.post("/api/check", content=b"[" * 5_000_000, headers={"Content-Type": "application/json"}),
                        client.get("/", headers={"Host": "evil.example"})):
            try:
                hostile_answer((await request).status_code)
            except httpx.HTTPError as error:
                hostile_answer(type(error).__name__)

    async def loop(role, *args) -> None:
        while time.monotonic() < deadline:
            await role(*args)

    roles = [reader] * readers + [editor] * editors + [previewer] * previewers + [heavy] * (hostile - hostile // 2)
    names_of = [intruder if role is heavy else names[number % len(names)] for number, role in enumerate(roles)]
    # all signed in before the strangers start guessing
    signed = await asyncio.gather(*(signed_in(number, name) for number, name in enumerate(names_of)))
    sessions = [(role, *session, paths[name]) for role, session, name in zip(roles, signed, names_of) if session]
    strangers = [httpx.AsyncClient(base_url=served.url, timeout=120, headers={"X-Forwarded-For": f"10.2.0.{i + 1}"})
                 for i in range(hostile // 2)]
    clients += strangers

    async def memory() -> None:
        while time.monotonic() < deadline:
            figures.memory.append(served.memory())
            await asyncio.sleep(1)

    deadline = time.monotonic() + seconds
    try:
        await asyncio.gather(memory(), *(loop(role, client, token, path) for role, client, token, path in sessions),
                             *(loop(stranger, client) for client in strangers))
    finally:
        for client in clients:
            await client.aclose()
    return figures


def _state(editor_page: str) -> dict:
    """What an editor page starts from (its ``state`` script: the path, version, text and data)."""
    return json.loads(editor_page.split('id="state">', 1)[1].split("</script>", 1)[0])


def _nested(depth: int) -> dict:
    data: dict = {}
    for _ in range(depth):
        data = {"x": data}
    return data
