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
    """``formgen serve WORKSPACE -o OUTPUT ARGS…`` in its own process, on a free port of 127.0.0.1;
    what it prints is kept in ``log`` (read it with ``output()``)."""

    def __init__(self, workspace: Path, output: Path, *args: str, log: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or output.parent / f"serve-{self.port}.log"
        self._out = open(self.log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "formgen", "serve", str(workspace), "-o", str(output), "--port", str(self.port), *args],
            stdout=self._out, stderr=subprocess.STDOUT, cwd=workspace.parent, env={**os.environ, "PYTHONUNBUFFERED": "1"})
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
               editors: int, previewers: int, hostile: int) -> Figures:
    """``readers`` (overview, editor page, downloads), ``editors`` (check, then save of their own file),
    ``previewers`` and ``hostile`` visitors (bodies past every bound, deep JSON, lone surrogates,
    password guesses, a project at the bounds to check and preview) at once for ``seconds``.
    ``users``: name → password, one per well-behaved visitor (taken in turn); ``paths``: name → a
    project of that user's unit to edit and preview."""
    figures = Figures()
    deadline = time.monotonic() + seconds
    names = list(users)

    async def visitor(number: int, role) -> None:
        name = names[number % len(names)]
        async with httpx.AsyncClient(base_url=served.url, timeout=120) as client:
            token = csrf_of((await client.get("/login")).text)
            answer = await client.post("/login", data={"name": name, "password": users[name], "csrf": token})
            if answer.status_code != 303:
                figures.error("login", f"{name}: {answer.status_code}")
                return
            token = csrf_of((await client.get("/")).text)
            while time.monotonic() < deadline:
                await role(client, token, name)

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

    async def reader(client, token, name) -> None:
        await timed("overview", client.get("/"))
        await timed("editor", client.get("/edit", params={"path": paths[name]}))
        await timed("download", client.get("/download/form", params={"path": paths[name], "format": "pdf"}), (200, 404))

    async def editor(client, token, name) -> None:
        headers = {"X-CSRF-Token": token}
        page = await timed("editor", client.get("/edit", params={"path": paths[name]}))
        if page is None or page.status_code != 200:
            return
        state = _state(page.text)
        checked = await timed("check", client.post("/api/check", json={"path": paths[name], "text": state["text"]},
                                                   headers=headers))
        if checked is None or checked.status_code != 200:
            return
        body = {"path": paths[name], "text": checked.json()["text"], "version": state["version"]}
        await timed("save", client.post("/api/save", json=body, headers=headers), (200, 409))  # 409: another editor saved

    async def previewer(client, token, name) -> None:
        text = _state((await client.get("/edit", params={"path": paths[name]})).text)["text"]
        await timed("preview", client.post("/api/preview", json={"path": paths[name], "text": text},
                                           headers={"X-CSRF-Token": token}))

    big = large_declaration()

    async def attacker(number: int) -> None:
        """Not signed in: guesses and bombs. Then signed in (as a real user of its own unit): the largest
        project the loader takes, to check and to preview, and JSON no browser of ours sends."""
        async with httpx.AsyncClient(base_url=served.url, timeout=120) as client:
            hits = 0
            while time.monotonic() < deadline:
                token = csrf_of((await client.get("/login")).text)
                requests = [
                    client.post("/login", data={"name": names[0], "password": f"guess{hits}", "csrf": token}),
                    client.post("/login", content=b"name=" + b"x" * 2_000_000,
                                headers={"Content-Type": "application/x-www-form-urlencoded"}),
                    client.post("/api/check", content=b"[" * 5_000_000, headers={"Content-Type": "application/json"}),
                    client.get("/", headers={"Host": "evil.example"}),
                ]
                for request in requests:
                    hits += 1
                    try:
                        status = (await request).status_code
                    except httpx.HTTPError as error:
                        status = type(error).__name__
                    figures.hostile[str(status)] = figures.hostile.get(str(status), 0) + 1

    async def heavy(client, token, name) -> None:
        headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
        for body in ({"path": paths[name], "text": big}, {"path": paths[name], "text": "项目名称: \ud800\n"},
                     {"path": paths[name], "data": _nested(40)}):
            try:  # json.dumps writes \ud800 as its escape, as a browser's JSON.stringify does
                status = (await client.post("/api/check", content=json.dumps(body), headers=headers)).status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            figures.hostile[str(status)] = figures.hostile.get(str(status), 0) + 1
        try:
            status = (await client.post("/api/preview", json={"path": paths[name], "text": big}, headers=headers)).status_code
        except httpx.HTTPError as error:
            status = type(error).__name__
        figures.hostile[str(status)] = figures.hostile.get(str(status), 0) + 1

    async def memory() -> None:
        while time.monotonic() < deadline:
            figures.memory.append(served.memory())
            await asyncio.sleep(1)

    roles = [reader] * readers + [editor] * editors + [previewer] * previewers
    tasks = [visitor(i, role) for i, role in enumerate(roles)]
    tasks += [attacker(i) for i in range(hostile // 2 or 1)] if hostile else []
    tasks += [visitor(len(roles) + i, heavy) for i in range(hostile - (hostile // 2 or 1))] if hostile > 1 else []
    await asyncio.gather(memory(), *tasks)
    return figures


def _state(editor_page: str) -> dict:
    """What an editor page starts from (its ``state`` script: the path, version, text and data)."""
    return json.loads(editor_page.split('id="state">', 1)[1].split("</script>", 1)[0])


def _nested(depth: int) -> dict:
    data: dict = {}
    for _ in range(depth):
        data = {"x": data}
    return data
