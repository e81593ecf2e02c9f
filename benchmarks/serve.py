"""formgen serve on the samples: page load, preview refresh, and 20 concurrent clients (figures, not tests).

    .venv/bin/python benchmarks/serve.py

Starts the server on a free loopback port over a copy of the samples, then measures
over HTTP: the overview and an editor page (server time to the full response), a
preview refresh of a 1-page and a 5-page form (edit → PNG pages back), and 20
clients at once each doing overview → editor → check → preview in a loop for 20 s:
errors and latency percentiles of each kind of request.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from test_serve_browser import Running  # noqa: E402  the tests' own way of starting the server

ONE_PAGE = "上海市城市管理行政执法局-2023/课题研究.yaml"
FIVE_PAGES = "上海市城市管理行政执法局-2024/城管执法社会宣传-自评.yaml"


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def csrf_of(html: str) -> str:
    return html.split('name="csrf" content="', 1)[1].split('"', 1)[0]


def timed(client: httpx.Client, method: str, url: str, **kwargs) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.request(method, url, **kwargs)
    return time.perf_counter() - started, response


def main() -> None:
    work = Path(tempfile.mkdtemp())
    shutil.copytree(ROOT / "samples", work / "ws")
    server = Running(work / "ws", work / "out")
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            token = csrf_of(client.get("/").text)
            headers = {"X-CSRF-Token": token}
            loads = [timed(client, "GET", "/")[0] for _ in range(10)]
            editors = [timed(client, "GET", "/edit", params={"path": FIVE_PAGES})[0] for _ in range(10)]
            print(f"overview (63 projects): median {statistics.median(loads) * 1000:.0f} ms")
            print(f"editor page: median {statistics.median(editors) * 1000:.0f} ms")
            for label, path in (("1-page", ONE_PAGE), ("5-page", FIVE_PAGES)):
                text = (work / "ws" / path).read_text(encoding="utf-8")
                times, pages = [], 0
                for i in range(8):
                    edited = text.replace("项目名称: ", f"项目名称: 改{i}", 1)
                    seconds, check = timed(client, "POST", "/api/check", json={"path": path, "text": edited}, headers=headers)
                    more, preview = timed(client, "POST", "/api/preview", json={"path": path, "text": edited}, headers=headers)
                    assert preview.status_code == 200, preview.text
                    pages = len(preview.json()["pages"])
                    times.append(seconds + more)
                print(f"preview refresh, {label} form ({pages} pages): check + preview median "
                      f"{statistics.median(times[1:]) * 1000:.0f} ms, max {max(times[1:]) * 1000:.0f} ms")
        asyncio.run(concurrent(server.url, 20, 20.0))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


async def concurrent(url: str, clients: int, seconds: float) -> None:
    latencies: dict[str, list[float]] = {"overview": [], "editor": [], "check": [], "preview": []}
    errors: dict[str, int] = {key: 0 for key in latencies}
    busy = 0
    text = (ROOT / "samples" / ONE_PAGE).read_text(encoding="utf-8")
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal busy
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            token = csrf_of((await client.get("/")).text)
            while time.perf_counter() < deadline:
                for kind, request in (
                        ("overview", lambda: client.get("/")),
                        ("editor", lambda: client.get("/edit", params={"path": ONE_PAGE})),
                        ("check", lambda: client.post("/api/check", json={"path": ONE_PAGE, "text": text},
                                                      headers={"X-CSRF-Token": token})),
                        ("preview", lambda: client.post("/api/preview", json={"path": ONE_PAGE, "text": text},
                                                        headers={"X-CSRF-Token": token}))):
                    started = time.perf_counter()
                    try:
                        response = await request()
                        if response.status_code == 503:  # bounded: told to come back, not queued without end
                            busy += 1
                        elif response.status_code != 200:
                            errors[kind] += 1
                    except httpx.HTTPError:
                        errors[kind] += 1
                    latencies[kind].append(time.perf_counter() - started)

    await asyncio.gather(*(one_client() for _ in range(clients)))
    print(f"{clients} concurrent clients for {seconds:.0f} s (loopback):")
    for kind, values in latencies.items():
        print(f"  {kind:8} {len(values):4} requests, {errors[kind]} errors, p50 {percentile(values, 50) * 1000:.0f} ms, "
              f"p95 {percentile(values, 95) * 1000:.0f} ms, p99 {percentile(values, 99) * 1000:.0f} ms")
    print(f"  previews refused as busy (503): {busy}")


if __name__ == "__main__":
    main()
