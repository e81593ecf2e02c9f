"""formgen serve on the samples: page load, preview refresh, and a soak (figures, not tests).

    .venv/bin/python benchmarks/serve.py [--seconds 60] [--clients 50]

Starts ``formgen serve`` as its own process on a free loopback port over a copy of the samples
(two units), with a users file (a user a visitor, as in an office, and 丙, whom a hostile visitor
signs in as) and a proxy on 127.0.0.1 believed, so that every visitor comes from an address of its own. Then measures over HTTP:

* the overview and an editor page (server time to the full response), and a preview refresh of a
  1-page and a 5-page form (check + preview of an edited text);
* the soak: ``--clients`` visitors at once for ``--seconds`` — readers (overview, editor page, a
  download), editors (editor page, check, save), previewers, and two hostile ones (one not signed in:
  password guesses, bodies past every bound, JSON bombs, a foreign Host; one signed in: a project at
  the loader's bounds to check and preview, lone surrogates, deep nesting). It prints the requests,
  errors and p50/p95/p99 latency of each kind, what the hostile ones were answered, and the memory of
  the server and its workers. The exit status is 1 when a well-behaved request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from serving import Served, Visitor, percentile, soak  # noqa: E402  the tests' own way of running the server

UNITS = ("上海市城市管理行政执法局-2023", "上海市城市管理行政执法局-2024")
ONE_PAGE = f"{UNITS[0]}/课题研究.yaml"
FIVE_PAGES = f"{UNITS[1]}/城管执法社会宣传-自评.yaml"
PASSWORD = "benchmark password"
INTRUDER = "丙"  # the hostile visitor signed in: a user of the second unit


def people(workspace: Path, count: int) -> dict[str, tuple[str, str]]:
    """One user a visitor, as in an office: name → (unit, the project they work on), the units in turn."""
    projects = {unit: sorted(f"{unit}/{p.name}" for p in (workspace / unit).glob("*.yaml") if p.name != "formgen.yaml")
                for unit in UNITS}
    found = {f"用户{i:02d}": (UNITS[i % 2], projects[UNITS[i % 2]][i // 2 % len(projects[UNITS[i % 2]])])
             for i in range(count)}
    found["用户00"], found["用户01"] = (UNITS[0], ONE_PAGE), (UNITS[1], FIVE_PAGES)
    found[INTRUDER] = (UNITS[1], f"{UNITS[1]}/城管执法教育培训-自评.yaml")
    return found


def timed(visitor: Visitor, method: str, url: str, **kwargs) -> float:
    started = time.perf_counter()
    response = visitor.client.request(method, url, **kwargs)
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return time.perf_counter() - started


def single(served: Served, work: Path) -> None:
    visitor = Visitor(served.url, "用户00", PASSWORD)
    loads = [timed(visitor, "GET", "/") for _ in range(10)]
    editors = [timed(visitor, "GET", "/edit", params={"path": ONE_PAGE}) for _ in range(10)]
    print(f"overview (one unit, 12 projects): median {statistics.median(loads) * 1000:.0f} ms")
    print(f"editor page: median {statistics.median(editors) * 1000:.0f} ms")
    other = Visitor(served.url, "用户01", PASSWORD)
    for label, path, who in (("1-page", ONE_PAGE, visitor), ("5-page", FIVE_PAGES, other)):
        text = (work / "ws" / path).read_text(encoding="utf-8")
        times = []
        for i in range(8):
            edited = text.replace("项目名称: ", f"项目名称: 改{i}", 1)
            seconds = timed(who, "POST", "/api/check", json={"path": path, "text": edited}, headers={"X-CSRF-Token": who.token})
            seconds += timed(who, "POST", "/api/preview", json={"path": path, "text": edited}, headers={"X-CSRF-Token": who.token})
            times.append(seconds)
        print(f"preview refresh, {label} form: check + preview median {statistics.median(times[1:]) * 1000:.0f} ms, "
              f"max {max(times[1:]) * 1000:.0f} ms")
    visitor.close()
    other.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    options = parser.parse_args()

    from formgen.serve.access import add_user

    work = Path(tempfile.mkdtemp())
    for unit in UNITS:
        shutil.copytree(ROOT / "samples" / unit, work / "ws" / unit)
    hostile = 2
    well_behaved = options.clients - hostile
    users, known = work / "用户.yaml", people(work / "ws", well_behaved)
    for name, (unit, _) in known.items():
        add_user(users, name, PASSWORD, [unit])
    served = Served(work / "ws", work / "out", "--users", str(users), "--proxy", "127.0.0.1")
    try:
        single(served, work)
        readers, editors = well_behaved * 2 // 5, well_behaved // 4
        previewers = well_behaved - readers - editors
        print(f"\nsoak: {options.clients} visitors for {options.seconds:.0f} s — {readers} readers, {editors} editors, "
              f"{previewers} previewers, {hostile} hostile (loopback, {served.url})")
        figures = asyncio.run(soak(served, {name: PASSWORD for name in known}, {n: p for n, (_, p) in known.items()},
                                   options.seconds, readers, editors, previewers, hostile, intruder=INTRUDER))
    finally:
        served.stop()
        log = served.output()
        shutil.rmtree(work, ignore_errors=True)
    for kind, values in figures.latencies.items():
        errors = len(figures.errors.get(kind, []))
        print(f"  {kind:9} {len(values):5} requests, {errors} errors, p50 {percentile(values, 50) * 1000:6.0f} ms, "
              f"p95 {percentile(values, 95) * 1000:6.0f} ms, p99 {percentile(values, 99) * 1000:6.0f} ms")
    for kind, why in figures.errors.items():
        print(f"  errors of {kind}: {why[:5]}")
    print(f"  previews told to come back (503, retried by the editor): {figures.busy}")
    print(f"  hostile requests by answer: {dict(sorted(figures.hostile.items()))}")
    memory = [m / 1e6 for m in figures.memory]
    if memory:
        print(f"  memory of the server and its workers: start {memory[0]:.0f} MB, max {max(memory):.0f} MB, "
              f"end {memory[-1]:.0f} MB")
    if "Traceback" in log:
        print("  the server's log holds a traceback:\n" + log[-3000:])
    return 1 if figures.errors or "Traceback" in log else 0


if __name__ == "__main__":
    sys.exit(main())
