"""A workspace → its forms on disk.

``collect`` finds and loads every project under the given paths; ``build`` writes
each valid project in each requested format. A bad project never stops the
others: its problems are reported in the result, and the caller decides the exit
code. Every file is written to a temporary name and renamed into place, so an
interrupted build never leaves a half-written form where a good one was.
"""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import FormgenError, Problem, ProjectError
from .layout import Layouts
from .load import (
    SETTINGS_FILE,
    LoadedProject,
    Settings,
    display_path,
    load_file,
    read_settings,
)
from .writers import docx, pdf, xlsx

TEMPLATES_FOLDER = "templates"
_FORBIDDEN_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass
class Job:
    """A loaded project and the files it is to be written to (folder + stem, without suffix)."""

    loaded: LoadedProject
    root: Path
    output_stem: Path | None = None


@dataclass
class Report:
    """What a build or a check did: the projects done, the problems found, and how long it took."""

    done: list[Job] = field(default_factory=list)
    failed: list[list[Problem]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def warnings(self) -> list[Problem]:
        return [w for job in self.done for w in job.loaded.warnings]

    @property
    def ok(self) -> bool:
        return not self.failed


def output_file_stem(name: str) -> str:
    """A file name from a project name: no path separators or characters file systems refuse."""
    stem = _FORBIDDEN_IN_FILE_NAMES.sub("_", name).strip(" .")
    return stem or "未命名项目"


def project_files(root: Path) -> list[Path]:
    """The project files of a workspace, in a stable order; templates and settings are not projects."""
    if root.is_file():
        return [root]
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.suffix not in (".yaml", ".yml") or path.name == SETTINGS_FILE:
            continue
        if relative.parts[0] == TEMPLATES_FOLDER or any(part.startswith(".") for part in relative.parts):
            continue
        files.append(path)
    return files


def collect(paths: list[Path], report: Report) -> list[Job]:
    """Load every project under ``paths``; failures go to ``report.failed``."""
    jobs = []
    for given in paths:
        if not given.exists():
            report.failed.append([Problem(display_path(given), None, "", "路径不存在")])
            continue
        root = given if given.is_dir() else given.parent
        settings_of: dict[Path, Settings | ProjectError] = {}  # formgen.yaml is read once a folder
        for file in project_files(given):
            if file.parent not in settings_of:
                try:
                    settings_of[file.parent] = read_settings(file.parent, root)
                except ProjectError as error:
                    settings_of[file.parent] = error
            settings = settings_of[file.parent]
            if isinstance(settings, ProjectError):
                report.failed.append(settings.problems)
                continue
            for result in load_file(file, settings):
                if isinstance(result, ProjectError):
                    report.failed.append(result.problems)
                else:
                    jobs.append(Job(result, root))
    return jobs


def check(paths: list[Path]) -> Report:
    """Load and validate, writing nothing."""
    started = time.perf_counter()
    report = Report()
    report.done = collect(paths, report)
    report.seconds = time.perf_counter() - started
    return report


def build(paths: list[Path], output: Path, formats: tuple[str, ...] | None = None,
          on_done=lambda job, files: None) -> Report:
    """Write every valid project under ``paths`` into ``output``, mirroring the input folders."""
    started = time.perf_counter()
    report = Report()
    jobs = _assign_outputs(collect(paths, report), output, report)
    layouts: dict[Path, Layouts] = {}
    for job in jobs:
        project = job.loaded.project
        try:
            layout = layouts.setdefault(job.root, Layouts(job.root / TEMPLATES_FOLDER))
            sheet = layout.sheet(project)
            files = []
            for fmt in formats or job.loaded.settings.formats:
                target = job.output_stem.with_suffix(f".{fmt}")
                _write_form(target, fmt, sheet, layout)
                files.append(target)
        except (FormgenError, OSError) as error:
            message = str(error) if isinstance(error, FormgenError) else f"无法写入输出文件：{error}"
            report.failed.append([job.loaded.problem((), message)])
            continue
        report.done.append(job)
        report.written += files
        on_done(job, files)
    report.seconds = time.perf_counter() - started
    return report


def _assign_outputs(jobs: list[Job], output: Path, report: Report) -> list[Job]:
    """Give each project its output stem; two projects that would share one both fail."""
    by_stem: dict[Path, list[Job]] = defaultdict(list)
    for job in jobs:
        folder = job.loaded.file.parent.relative_to(job.root)
        job.output_stem = output / folder / output_file_stem(job.loaded.project.name)
        by_stem[job.output_stem].append(job)
    kept = []
    for stem, same in by_stem.items():
        if len(same) == 1:
            kept.append(same[0])
            continue
        places = "、".join(f"{display_path(j.loaded.file)}:{j.loaded.document.line}" for j in same)
        for job in same:
            report.failed.append([job.loaded.problem(
                ("项目名称",), f"与其他项目输出到同一文件 {display_path(stem)}.*（{places}），请改用不同的项目名称")])
    return kept


def write_atomically(target: Path, write) -> None:
    """Call ``write(path)`` on a temporary file beside ``target``, then rename it into place:
    a crash or Ctrl-C never leaves a half-written file where the last good one was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(target: Path, text: str) -> None:
    write_atomically(target, lambda path: path.write_text(text, encoding="utf-8"))


def _write_form(target: Path, fmt: str, sheet, layout: Layouts) -> None:
    if fmt == "docx":
        write_atomically(target, lambda path: docx.write(sheet, path))
    elif fmt == "xlsx":
        write_atomically(target, lambda path: xlsx.write(sheet, path))
    else:
        write_atomically(target, lambda path: pdf.write([sheet], path, layout.stylesheet()))

