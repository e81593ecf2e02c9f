#!/usr/bin/env python3
"""Compare every sample project with the published form it reproduces (the seed text dumps).

    .venv/bin/python scripts/compare-seeds.py [SEEDS] [SAMPLES]

SEEDS defaults to ../shared/seeds (the dumps are not part of the repo), SAMPLES to samples/.
A seed dump is the text of published forms, one tab-separated line a printed row; it lost
the merges, and texts that a printed page cut are split over lines. For each form of each
dump this finds the sample with the same kind and 项目名称 and reports, ignoring white space:

* every text the sample prints (labels, values, amounts, dates, long texts) that the dump
  does not hold, and every long text the sample holds shorter than the dump (a text cut
  where the printed page ended);
* long texts of the dump found in no sample field (a whole field left out);
* each 三级 indicator: present, in the dump's order, under the same 二级 as in the dump
  (read from the nearest 二级 label at or above its row), with the same 指标值;
* each 汇总表: its forms in the dump's order.

Prints one line per difference and a summary; exits 0 (differences are for a person to judge).
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formgen.layout import Layouts  # noqa: E402
from formgen.load.rules import catalogue_for  # noqa: E402
from formgen.workspace import check  # noqa: E402
from formgen.workspace.compilation import CompilationPlan  # noqa: E402

TITLES = {"财政项目支出绩效目标申报表": "申报表", "财政项目支出绩效自评表": "自评表", "财政项目支出绩效目标表": "目标表"}
LONG = 20  # characters: a text this long is a field's text, not a label or a value


def squash(text: str) -> str:
    """Text as compared: no white space, and no <p> marks (the dumps keep them, the forms print paragraphs)."""
    return re.sub(r"\s+|</?p>", "", text or "")


class SeedForm:
    """One published form of a dump: its kind, name and rows of cells."""

    def __init__(self, seed: str, kind: str):
        self.seed, self.kind, self.rows = seed, kind, []

    @property
    def name(self) -> str:
        for cells in self.rows:
            for index, cell in enumerate(cells):
                if cell.rstrip("：:") == "项目名称":
                    return next((c for c in cells[index + 1:] if c), "")
        return ""

    @property
    def cells(self) -> list[str]:
        return [squash(c) for cells in self.rows for c in cells if squash(c)]

    @property
    def text(self) -> str:
        return "".join(self.cells)


def seed_forms(path: Path) -> tuple[list[SeedForm], str | None]:
    """The forms of a dump in printed order, and the 汇总表 title it opens with, if any."""
    forms, title = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.lstrip("#").split("\t")]
        first = next((c for c in cells if c), "")
        if first.endswith("汇总表") and not forms:
            title = first
        elif squash(first) in TITLES:
            forms.append(SeedForm(path.name, TITLES[squash(first)]))
        elif forms:
            forms[-1].rows.append(cells)
    return forms, title


def compare_form(seed: SeedForm, loaded, sheet) -> list[str]:
    differences = []
    seed_text, seed_cells = seed.text, seed.cells
    printed = [squash(c.text) for c in sheet.cells if squash(c.text)] + [squash(h.text) for h in sheet.headings]
    for text in printed:
        if text in TITLES or text.startswith("("):
            continue  # the title and the year line start the form and are not in its rows
        if text not in seed_text:
            differences.append(f"不在印发表中：{text[:40]}{'…' if len(text) > 40 else ''}")
        elif len(text) >= LONG and text not in seed_cells:
            longer = next((c for c in seed_cells if text in c and c != text), None)
            if longer is not None:
                rest = longer[longer.index(text) + len(text):][:15]
                differences.append(f"比印发表短（印发表接着是“{rest}…”）：{text[:30]}…")
            elif not _joins_whole_cells(text, seed_cells):
                differences.append(f"跨页拼接不完整：{text[:30]}…")
    ours = "".join(printed)
    for cell in seed_cells:  # what the dump holds that the sample prints nowhere: a lost field, or the rest of a cut text
        if cell not in ours and cell.rstrip("：:") not in ours and cell.strip("-"):  # "---": a table rule of the dump
            differences.append(f"印发表中有、示例中没有：{cell[:40]}{'…' if len(cell) > 40 else ''}")
    differences += _indicators(seed, loaded.project)
    return differences


def _joins_whole_cells(text: str, cells: list[str]) -> bool:
    """Whether ``text`` is a run of consecutive cells joined (a text the printed page split)."""
    for start, cell in enumerate(cells):
        if text.startswith(cell):
            joined = ""
            for following in cells[start:]:
                joined += following
                if joined == text:
                    return True
                if not text.startswith(joined):
                    break
    return False


def dump_indicators(seed: SeedForm, project) -> list[tuple[str, str, str]]:
    """(一级, 二级, 三级) of the sample's indicators as the dump prints them, in its order."""
    return _indicators(seed, project, sequence=True)


def _indicators(seed: SeedForm, project, sequence: bool = False) -> list:
    tree = project.indicators
    ours = [(l1, l2, name, value if isinstance(value, str) else value.target)
            for l1, groups in tree.items() for l2, items in groups.items() for name, value in items.items()]
    catalogue = catalogue_for(project.year, project.form)  # a group the sample lacks is still a label
    level1s = {squash(l1) for l1, *_ in ours} | set(catalogue)
    level2s = {squash(l2) for _, l2, *_ in ours} | {l2 for names in catalogue.values() for l2 in names}
    by_name = {squash(name): (l1, l2, value) for l1, l2, name, value in ours}
    found, order, differences = set(), [], []
    current = [None, None]
    started = False
    for cells in seed.rows:
        squashed = [squash(c) for c in cells if squash(c)]
        if any(c in ("三级指标", "三级目标", "一级指标", "一级目标") for c in squashed):
            started = True
            continue
        if not started:
            continue
        for cell in squashed:  # a label cell, whole or its first line ("质量" of 质量指标, wrapped in a narrow column)
            if cell in by_name:
                continue
            level1 = next((l1 for l1 in level1s if l1 == cell or (len(cell) >= 2 and l1.startswith(cell))), None)
            level2 = next((l2 for l2 in level2s if l2 == cell or (len(cell) >= 2 and l2.startswith(cell))), None)
            if level1 is not None:
                current[0] = level1
            elif level2 is not None:
                current[1] = level2
        for cell in squashed:
            if cell in by_name and cell not in found:
                found.add(cell)
                order.append((current[0], current[1], cell))
                l1, l2, value = by_name[cell]
                if squash(l2) != current[1] and current[1] is not None:
                    differences.append(f"二级指标不同：{cell} 在示例中属 {l2}，印发表中在 {current[1]} 下")
                if squash(value) not in squashed:
                    differences.append(f"指标值不同：{cell} 示例为 {value}，印发表该行为 {' | '.join(squashed)}")
    if sequence:
        return order
    order = [name for _, _, name in order]
    for _, _, name, _ in ours:
        if squash(name) not in found:
            differences.append(f"三级指标不在印发表中：{name}")
    sample_order = [squash(name) for _, _, name, _ in ours if squash(name) in found]
    if sample_order != order:
        first = next((i for i, (a, b) in enumerate(zip(sample_order, order)) if a != b), min(len(order), len(sample_order)) - 1)
        differences.append(f"三级指标顺序不同：示例第 {first + 1} 个为 {sample_order[first]}，印发表为 {order[first]}")
    return differences


def main(seeds: Path, samples: Path) -> int:
    report = check([samples])
    layouts = Layouts()
    by_key = {(form.kind, squash(form.name)): form for form in report.done}
    units: dict[Path, CompilationPlan] = {}
    for form in report.done:
        settings = form.source.settings
        if settings.compilation_title:
            units.setdefault(settings.compilation_folder, CompilationPlan(settings.compilation_title,
                                                                          settings.compilation_folder, settings, []))
            units[settings.compilation_folder].forms.append(form)
    checked, counted = 0, defaultdict(int)
    matched = set()
    for path in sorted(seeds.glob("*.txt")):
        forms, title = seed_forms(path)
        for seed in forms:
            form = by_key.get((seed.kind, squash(seed.name)))
            if form is None:
                print(f"{path.name} {seed.kind} {seed.name}: 没有对应的示例")
                counted["没有对应的示例"] += 1
                continue
            checked += 1
            matched.add(id(form))
            for difference in compare_form(seed, form.loaded, layouts.sheet(form.loaded.project)):
                print(f"{path.name} {form.source.file.relative_to(samples)}: {difference}")
                counted[difference.split("：")[0]] += 1
        first = by_key.get((forms[0].kind, squash(forms[0].name))) if forms else None
        plan = next((p for p in units.values() if (title and p.title == title) or (first and first in p.forms)), None)
        if plan is not None:
            ours = [squash(f.name) for f in plan.ordered()]
            theirs = [squash(s.name) for s in forms]
            if ours != theirs:
                print(f"{path.name} 汇总表 {plan.title}: 顺序不同：示例 {' / '.join(ours[:4])}…，印发表 {' / '.join(theirs[:4])}…")
                counted["汇总表顺序不同"] += 1
    unmatched = [f for f in report.done if id(f) not in matched]
    for form in unmatched:
        print(f"{form.source.file.relative_to(samples)}: 没有对应的印发表")
    total = sum(counted.values())
    print(f"核对 {checked} 张表（示例共 {len(report.done)} 张）；差异 {total} 处"
          + ("：" + "，".join(f"{kind} {n}" for kind, n in sorted(counted.items())) if total else ""))
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    seeds = Path(arguments[0]) if arguments else ROOT.parent / "shared" / "seeds"
    samples = Path(arguments[1]) if len(arguments) > 1 else ROOT / "samples"
    sys.exit(main(seeds, samples))
