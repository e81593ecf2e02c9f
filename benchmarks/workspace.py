"""Print the speed figures of formgen's daily loop (not a test; figures, not verdicts).

    .venv/bin/python benchmarks/workspace.py [--sizes 100,1000] [--skip-office]

1. the samples: a full build in all formats, a no-op rebuild, a rebuild after one edit;
2. per form and format: `formats.py` (the page plan, each writer, the openpyxl floor);
3. synthetic workspaces of N forms copied from the samples (units of about 30 forms,
   each with its 汇总表): time and peak memory of the whole process tree, per form;
4. paired with LibreOffice on the same cores: `formgen build -f pdf` of the samples against
   one LibreOffice process per core converting our DOCX of the same forms to PDF.

Goals on the 2-core machine (issue 9): no-op < 1 s, one edit < 1.5 s, PDF with its plan
≤ 110 ms per form (median), 1,000 forms < 100 s and < 1 GB, formgen's PDFs ≥ 1.5× faster than
LibreOffice converting the DOCX.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from formats import main as per_form_and_format  # benchmarks/ is this script's folder

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FORMGEN = [sys.executable, "-m", "formgen"]


def run_formgen(*args: str, cwd: Path) -> tuple[float, int]:
    """Seconds and peak memory (MB, the process tree's summed RSS) of one formgen command."""
    started = time.perf_counter()
    process = subprocess.Popen([*FORMGEN, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = _watch_memory(process)
    process.wait()
    return time.perf_counter() - started, peak


def _watch_memory(process) -> int:
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_kb(process.pid))
        time.sleep(0.05)
    return peak // 1024


def _tree_rss_kb(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmRSS:")))
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            stack += [int(c) for c in children]
        except (OSError, StopIteration):
            continue
    return total


def samples_loop(work: Path) -> None:
    workspace = work / "samples"
    shutil.copytree(SAMPLES, workspace)
    full, _ = run_formgen("build", "samples", "-o", "out", cwd=work)
    noop, _ = run_formgen("build", "samples", "-o", "out", cwd=work)
    edited = workspace / "上海市城市管理行政执法局-2023" / "课题研究.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("≥2(人)", "≥3(人)"), encoding="utf-8")
    one, _ = run_formgen("build", "samples", "-o", "out", cwd=work)
    forms = sum(1 for p in workspace.rglob("*.yaml") if p.name != "formgen.yaml")
    warm = _warm_edit(work, workspace, edited)
    print(f"samples ({forms} forms, 3 formats, with 汇总表): full build {full:.2f} s; "
          f"no-op rebuild {noop:.2f} s ({noop / full:.1%} of full, goal < 1 s); "
          f"one edited file {one:.2f} s ({one / full:.1%} of full, goal < 1.5 s), "
          f"{warm:.2f} s in a running `formgen watch`")


def _warm_edit(work: Path, workspace: Path, edited: Path) -> float:
    """A one-file rebuild in a process that has built before, as ``formgen watch`` does."""
    from formgen.workspace import build

    for old, new in (("≥3(人)", "≥4(人)"), ("≥4(人)", "≥5(人)")):  # the first edit warms the process up
        edited.write_text(edited.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        started = time.perf_counter()
        build([workspace], work / "out")
    return time.perf_counter() - started


def synthetic(work: Path, size: int) -> None:
    """A workspace of ``size`` forms: the samples copied under new names, 30 to a unit."""
    workspace = work / f"synthetic-{size}"
    files = [p for p in sorted(SAMPLES.rglob("*.yaml")) if p.name != "formgen.yaml"]
    for number in range(size):
        source = files[number % len(files)]
        unit = workspace / f"单位{number // 30:03d}"
        if not unit.exists():
            unit.mkdir(parents=True)
            settings = (source.parent / "formgen.yaml").read_text(encoding="utf-8")
            settings = "\n".join(l for l in settings.splitlines() if not l.startswith(("汇总表标题", "表单", "年度")))
            (unit / "formgen.yaml").write_text(settings + f"\n汇总表标题: 单位{number // 30:03d}汇总表\n", encoding="utf-8")
        text = source.read_text(encoding="utf-8")
        settings = (source.parent / "formgen.yaml").read_text(encoding="utf-8")
        header = "\n".join(l for l in settings.splitlines() if l.startswith(("表单", "年度")))
        name = next(l for l in text.splitlines() if l.startswith("项目名称:")).split(":", 1)[1].strip()
        text = text.replace(f"项目名称: {name}", f"项目名称: {name}-{number:04d}", 1)
        (unit / f"{number:04d}.yaml").write_text(header + "\n" + text, encoding="utf-8")
    seconds, peak = run_formgen("build", workspace.name, "-o", f"out-{size}", cwd=work)
    print(f"synthetic workspace of {size} forms ({(size + 29) // 30} units with 汇总表, 3 formats): "
          f"{seconds:.1f} s, {seconds / size * 1000:.0f} ms per form, peak memory {peak} MB "
          f"(goal for 1,000: < 100 s, < 1024 MB)")


def office(work: Path) -> None:
    """formgen's PDFs of the samples against LibreOffice converting our DOCX of the same forms,
    each on all the cores: formgen's worker pool, and one LibreOffice process per core. Printed
    twice: whole commands, and per form with each side's start-up taken out (a run of one form
    per process: LibreOffice's start, formgen's imports of WeasyPrint and Pango)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        print("LibreOffice is not installed: no comparison")
        return
    subprocess.run([*FORMGEN, "build", str(SAMPLES), "-o", str(work / "docx"), "-f", "docx"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    documents = sorted(p for p in (work / "docx").rglob("*.docx") if "汇总表" not in str(p.relative_to(work / "docx")))
    cores = os.cpu_count() or 1
    profiles = [f"-env:UserInstallation=file://{work / f'lo-profile-{n}'}" for n in range(cores)]

    def libreoffice(shares: list[list[Path]], outdir: str) -> float:
        started = time.perf_counter()
        running = [subprocess.Popen([soffice, profile, "--headless", "--convert-to", "pdf", "--outdir",
                                     str(work / outdir), *map(str, share)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for profile, share in zip(profiles, shares)]
        for process in running:
            process.wait()
        return time.perf_counter() - started

    libreoffice([[documents[0]]] * cores, "lo-warm")  # each profile is created on its first run
    office_start = libreoffice([[documents[n]] for n in range(cores)], "lo-one")
    office_all = libreoffice([documents[n::cores] for n in range(cores)], "lo")
    one = work / "one-form"
    shutil.copytree(SAMPLES / "上海市城市管理行政执法局-2023", one / "unit", ignore=shutil.ignore_patterns("[!f]*.yaml"))
    shutil.copy(SAMPLES / "上海市城市管理行政执法局-2023" / "课题研究.yaml", one / "unit")
    ours_start, _ = run_formgen("build", str(one), "-o", str(work / "one-pdf"), "-f", "pdf", cwd=work)
    ours_all, _ = run_formgen("build", str(SAMPLES), "-o", str(work / "pdf"), "-f", "pdf", cwd=work)
    count = len(documents)
    office_each = (office_all - office_start) * cores / (count - cores)
    ours_each = (ours_all - ours_start) * cores / (count - 1)
    print(f"{count} forms to PDF on {cores} cores: LibreOffice from our DOCX {office_all:.1f} s, formgen build -f pdf "
          f"{ours_all:.1f} s (start-up and 汇总表 included): ×{office_all / ours_all:.2f}; start-ups taken out "
          f"(LibreOffice {office_start:.1f} s, formgen {ours_start:.1f} s), per form and core: LibreOffice "
          f"{office_each * 1000:.0f} ms, formgen {ours_each * 1000:.0f} ms: ×{office_each / ours_each:.2f} faster "
          f"(goal ≥ 1.5×)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="synthetic workspace sizes, comma-separated")
    parser.add_argument("--skip-office", action="store_true")
    options = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        samples_loop(work)
        per_form_and_format(SAMPLES)
        if not options.skip_office:
            office(work)
        for size in (int(s) for s in options.sizes.split(",") if s):
            synthetic(work, size)


if __name__ == "__main__":
    main()
