"""Print how long formgen takes on projects at its bounds (not a test; figures, not verdicts).

    .venv/bin/python benchmarks/bounds.py [--formats docx,xlsx,pdf]

The loader's bounds (2,000,000 characters a file, 32,767 a text, 500 三级 indicators, 200 a
name) keep every project within what formgen reads quickly; what a form costs to print is
decided by its pages, and a form the font-free estimate puts over ``MAX_PAGES`` is refused
before any writer runs. Each case is built alone (``-j 1``), one format at a time, in a fresh
process, and printed with its seconds, the pages of its PDF and formgen's answer:

* at the bounds: 500 indicators with 2,900-character values (about 4,400 pages: refused);
* the largest forms accepted, grown to just under the page bound in each of the ways a form
  grows: many rows (500 indicators), rows taller than a page (values of 2,900 characters),
  two texts of 32,767 characters in wide cells, and a 自评表 of 500 indicators;
* a file of 2,000,000 characters (a form and its comments), a 200-character name;
* a workspace template whose loops run away (stopped at the render budget).

The machine's load is printed first: on a shared machine every figure is slower.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from projects import DECLARATION, SELF_EVALUATION  # noqa: E402

from formgen.layout import BUILTIN_TEMPLATES, Layouts  # noqa: E402
from formgen.load import Settings, load_file  # noqa: E402
from formgen.load.fields import MAX_NAME_CHARACTERS, MAX_TEXT_CHARACTERS  # noqa: E402
from formgen.load.rules import MAX_INDICATORS  # noqa: E402
from formgen.load.yamlread import MAX_FILE_CHARACTERS  # noqa: E402
from formgen.workspace.tasks import MAX_PAGES, estimated_pages  # noqa: E402

WORDS = "项目立项依据充分且立项规范，资金使用合规，绩效目标明确，完成情况良好。"
GROUPS = ("数量指标", "质量指标", "时效指标", "成本指标")


def text(length: int) -> str:
    return (WORDS * (length // len(WORDS) + 1))[:length]


def declaration(count: int, width: int, name: str = "课题研究") -> str:
    """A 申报表 of ``count`` 三级 indicators whose values are ``width`` characters."""
    head = DECLARATION.split("绩效指标:")[0].replace("项目名称: 课题研究", f"项目名称: {name}")
    lines = ["绩效指标:", "  产出指标:"]
    for group_index, group in enumerate(GROUPS):
        lines.append(f"    {group}:")
        share = range(group_index, count, len(GROUPS))
        lines += [f'      指标{i}: "{text(width)}"' for i in share]
    return head + "\n".join(lines) + "\n"


def long_goals(width: int) -> str:
    """A 申报表 whose 项目总目标 and 年度总体目标 are ``width`` characters each (wide cells)."""
    return (DECLARATION.replace("  项目立项依据充分且立项规范……\n", f"  {text(width)}\n"))


def self_evaluation(count: int, width: int) -> str:
    """A 自评表 of ``count`` indicators whose 实际完成值 and 偏差原因 are ``width`` characters."""
    head = SELF_EVALUATION.split("绩效指标:")[0]
    weight = f"{90 / count:.2f}"
    lines = ["绩效指标:", "  产出指标:", "    数量指标:"]
    for i in range(count):
        lines += [f"      指标{i}:", "        指标值: 完成", f'        实际完成值: "{text(width)}"',
                  f"        分值: {weight}", "        得分: 0", f'        偏差原因分析及改进措施: "{text(width)}"']
    return head + "\n".join(lines) + "\n"


def pages_of(project_text: str) -> int:
    path = Path(tempfile.mkdtemp()) / "x.yaml"
    path.write_text(project_text, encoding="utf-8")
    [loaded] = load_file(path, Settings())
    return estimated_pages(Layouts().sheet(loaded.project))


def under_the_bound(make, low: int, high: int) -> int:
    """The largest size ``make(size)`` whose form the estimate keeps within ``MAX_PAGES`` (bisection)."""
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if pages_of(make(middle)) <= MAX_PAGES else (low, middle - 1)
    return low


def build(folder: Path, fmt: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "formgen", "build", str(folder), "-o", str(folder.parent / f"out-{fmt}"),
                             "-f", fmt, "-j", "1"], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    errors = [line for line in result.stderr.splitlines() if line.startswith("错误")]
    return seconds, errors[0][:90] if errors else "built"


def pdf_pages(folder: Path) -> str:
    from pypdf import PdfReader

    found = sorted((folder.parent / "out-pdf").rglob("*.pdf"))
    return str(len(PdfReader(found[0]).pages)) if found else "-"


def case(work: Path, label: str, project_text: str, formats: tuple[str, ...], template: str | None = None) -> None:
    folder = work / label.split(":")[0].replace(" ", "-") / "ws"
    folder.mkdir(parents=True)
    (folder / "项目.yaml").write_text(project_text, encoding="utf-8")
    if template is not None:
        (folder / "templates").mkdir()
        (folder / "templates" / "申报表.html").write_text(template, encoding="utf-8")
    figures = []
    for fmt in formats:
        seconds, answer = build(folder, fmt)
        figures.append(f"{fmt} {seconds:5.1f} s")
    pages = pdf_pages(folder) if "pdf" in formats else "-"
    print(f"{label:<58} {len(project_text):>9,} chars  est. {pages_of(project_text) if template is None else '-':>5}"
          f"  PDF {pages:>4} pages  {'  '.join(figures)}  {answer}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default="docx,xlsx,pdf")
    formats = tuple(parser.parse_args().formats.split(","))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; MAX_PAGES {MAX_PAGES}; "
          f"bounds: {MAX_FILE_CHARACTERS:,} a file, {MAX_TEXT_CHARACTERS:,} a text, {MAX_INDICATORS} 三级, "
          f"{MAX_NAME_CHARACTERS} a name", flush=True)
    many_rows = under_the_bound(lambda width: declaration(MAX_INDICATORS, width), 10, 2900)
    tall_rows = under_the_bound(lambda count: declaration(count, 2900), 1, MAX_INDICATORS)
    goals = under_the_bound(long_goals, 100, MAX_TEXT_CHARACTERS)
    evaluation = under_the_bound(lambda width: self_evaluation(MAX_INDICATORS, width), 1, 2900)
    comments = "# " + "注" * (MAX_FILE_CHARACTERS - len(DECLARATION) - 10) + "\n"
    runaway = (BUILTIN_TEMPLATES / "申报表.html").read_text(encoding="utf-8").replace(
        "<h1>", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}<h1>", 1)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        case(work, f"at the bounds: {MAX_INDICATORS} values of 2,900 characters", declaration(MAX_INDICATORS, 2900), formats)
        case(work, f"many rows: {MAX_INDICATORS} values of {many_rows:,} characters", declaration(MAX_INDICATORS, many_rows), formats)
        case(work, f"tall rows: {tall_rows} values of 2,900 characters", declaration(tall_rows, 2900), formats)
        case(work, f"wide cells: two goals of {goals:,} characters", long_goals(goals), formats)
        case(work, f"自评表: {MAX_INDICATORS} indicators, two texts of {evaluation:,}", self_evaluation(MAX_INDICATORS, evaluation), formats)
        case(work, f"file: {MAX_FILE_CHARACTERS:,} characters, comments", DECLARATION + comments, formats)
        case(work, f"name: {MAX_NAME_CHARACTERS} characters", declaration(30, 20, "名" * MAX_NAME_CHARACTERS), formats)
        case(work, "template: nested range(100000) loops", DECLARATION, formats[:1], runaway)


if __name__ == "__main__":
    main()
