"""A workspace → its forms and its 汇总表 on disk, rebuilding only what changed.

A build runs in four steps:

1. ``sources.discover`` finds the project files and fingerprints their inputs;
2. a file whose fingerprint equals the one recorded by the last build, and whose
   outputs are all still there, is not even read again; the others are loaded and
   checked, and every valid project is rendered, in parallel across the cores;
3. each folder whose ``formgen.yaml`` names a 汇总表 gets it rebuilt when any of its
   forms, their order or its title changed;
4. outputs the last build wrote that no project claims any more (a project deleted
   or renamed) are removed, and the record of this build is saved.

A bad project never stops the others. Every file is written to a temporary name
and renamed into place, so an interrupted build leaves no half-written form, and
the next build redoes whatever the interrupted one did not record.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .errors import FormgenError, Problem, ProjectError
from .load import LoadedProject, Settings, display_path, load_file
from .sources import Source, discover, formgen_version

STATE_FILE = ".formgen-state.json"
CACHE_FOLDER = ".formgen-cache"  # title pages of the 汇总表 PDFs, by title and stylesheet
_FORBIDDEN_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def output_file_stem(name: str) -> str:
    """A file name from a project name: no path separators or characters file systems refuse."""
    stem = _FORBIDDEN_IN_FILE_NAMES.sub("_", name).strip(" .")
    return stem or "未命名项目"


def form_file_stem(name: str, kind: str) -> str:
    """The output name of a form: ``课题研究`` for a 申报表, ``课题研究-自评表`` for the others,
    so that a project's declaration and its self-evaluation can share a folder."""
    stem = output_file_stem(name)
    return stem if kind == "申报表" else f"{stem}-{kind}"


@dataclass
class Form:
    """One project of the build: where it comes from, where it goes, and how it went."""

    source: Source
    index: int  # which document of its file
    name: str
    kind: str  # 申报表 | 自评表
    stem: Path  # output path without suffix
    warnings: list[Problem] = field(default_factory=list)
    loaded: LoadedProject | None = None  # None when reused from the last build unread
    files: list[Path] = field(default_factory=list)

    @property
    def label(self) -> str:
        return display_path(self.stem)


@dataclass
class Report:
    """What a build or a check did: forms built, forms unchanged, problems, and time taken."""

    built: list[Form] = field(default_factory=list)
    unchanged: list[Form] = field(default_factory=list)
    failed: list[list[Problem]] = field(default_factory=list)
    compilations: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def done(self) -> list[Form]:
        return self.built + self.unchanged

    @property
    def warnings(self) -> list[Problem]:
        """Warnings and notes of every form that was built or is unchanged."""
        return [w for form in self.done for w in form.warnings]

    @property
    def written(self) -> list[Path]:
        return [f for form in self.built for f in form.files] + self.compilations

    @property
    def ok(self) -> bool:
        return not self.failed


def check(paths: list[Path]) -> Report:
    """Load and validate every project, writing nothing."""
    started = time.perf_counter()
    report = Report()
    sources, problems = discover(paths, None)
    report.failed += problems
    for source in sources:
        report.unchanged += _load(source, Path("."), report)
    report.seconds = time.perf_counter() - started
    return report


def _load(source: Source, output: Path, report: Report) -> list[Form]:
    """The valid projects of one file as forms; its failures go to the report."""
    if isinstance(source.settings, ProjectError):
        report.failed.append(source.settings.problems)
        return []
    forms = []
    for index, result in enumerate(load_file(source.file, source.settings)):
        if isinstance(result, ProjectError):
            report.failed.append(result.problems)
            continue
        project = result.project
        folder = source.file.parent.relative_to(source.root)
        forms.append(Form(source, index, project.name, project.form, output / folder / form_file_stem(project.name, project.form),
                          result.warnings, result))
    return forms


def build(paths: list[Path], output: Path, formats: tuple[str, ...] | None = None, jobs: int | None = None,
          on_progress=lambda done, total, form, ok: None) -> Report:
    """Bring ``output`` up to date with the projects under ``paths``; see the module docstring."""
    started = time.perf_counter()
    output = output.absolute()  # the record of a build must not depend on the current folder
    report = Report()
    state = _State.read(output)
    _remove_leftover_temporaries(output)
    state.scope = [p.absolute() for p in paths]
    sources, problems = discover(state.scope, formats)
    state.discovered = {str(source.file) for source in sources}
    report.failed += problems

    pending: list[Form] = []
    for source in sources:
        reused = state.reuse(source)
        if reused is not None:
            report.unchanged += reused
            continue
        failures = len(report.failed)
        pending += _load(source, output, report)
        if len(report.failed) > failures:
            state.failing.add(str(source.file))
    pending, clashing = _without_collisions(pending, report.unchanged, report)
    state.failing |= {str(form.source.file) for form in clashing}

    compilations = _plan_compilations(report.unchanged + pending, formats, state, output, report)
    form_tasks = [(form, _render_task, (form.loaded.project, str(form.source.templates), str(form.stem),
                                        formats or form.source.settings.formats)) for form in pending]
    first = [task for task in compilations if task[0][1] != "pdf"]  # need only the forms' grids
    later = [task for task in compilations if task[0][1] == "pdf"]  # made of the forms' PDFs: after them
    try:
        with _Workers(jobs, len(form_tasks) + len(compilations)) as workers:
            done = 0
            for key, outcome in workers.run(form_tasks + first):
                if isinstance(key, Form):
                    done += 1
                    _record_form(key, outcome, report, state)
                    on_progress(done, len(form_tasks), key, not isinstance(outcome, str))
                else:
                    _record_compilation(key, outcome, report, state)
            for key, outcome in workers.run(later):
                _record_compilation(key, outcome, report, state)
    finally:
        report.removed = state.save(report)
        report.seconds = time.perf_counter() - started
    return report


def _record_form(form: Form, outcome, report: Report, state: "_State") -> None:
    if isinstance(outcome, str):
        report.failed.append([form.loaded.problem((), outcome)])
        state.failing.add(str(form.source.file))
    else:
        form.files = [Path(p) for p in outcome]
        report.built.append(form)


def _record_compilation(key: tuple["_Unit", str], outcome, report: Report, state: "_State") -> None:
    unit, _ = key
    stem = str(unit.stem)
    left, fingerprint, files = state.unfinished[stem]
    if isinstance(outcome, str):  # the record keeps the last good files; next build tries again
        report.failed.append([Problem(display_path(unit.settings.files[-1]), None, "汇总表标题", outcome)])
        fingerprint = ""
    else:
        files += outcome
        report.compilations += [Path(p) for p in outcome]
    state.unfinished[stem] = (left - 1, fingerprint, files)
    if left == 1 and fingerprint:  # every format written: this is now the record
        state.compilations[stem].update(fingerprint=fingerprint, files=files)


def _without_collisions(pending: list[Form], unchanged: list[Form], report: Report) -> tuple[list[Form], list[Form]]:
    """Two projects that would write the same files: both fail, naming each other, and nothing is
    written. Returns the forms to render and the clashing ones."""
    by_stem: dict[Path, list[Form]] = defaultdict(list)
    for form in unchanged + pending:
        by_stem[form.stem].append(form)
    clashing = {id(f) for same in by_stem.values() if len(same) > 1 for f in same}
    for stem, same in by_stem.items():
        if len(same) < 2:
            continue
        places = "、".join(f"{display_path(f.source.file)}（第 {f.index + 1} 个项目）" for f in same)
        for form in same:
            file = display_path(form.source.file)
            report.failed.append([Problem(file, None, "项目名称",
                                          f"{form.name}：与其他项目输出到同一文件 {display_path(stem)}.*（{places}），请改用不同的项目名称")])
    clashed = [f for f in unchanged + pending if id(f) in clashing]
    report.unchanged[:] = [f for f in unchanged if id(f) not in clashing]
    return [f for f in pending if id(f) not in clashing], clashed


class _Workers:
    """Run tasks in a pool of processes, or in this process when one worker is enough."""

    def __init__(self, jobs: int | None, most_tasks: int):
        self.count = min(jobs or os.cpu_count() or 1, most_tasks)
        if self.count > 1:
            _preload_writers()  # once, before the workers fork: not once in every worker
        self.pool = ProcessPoolExecutor(self.count) if self.count > 1 else None

    def __enter__(self) -> "_Workers":
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def run(self, tasks: list):
        """Yield (key, outcome) for each (key, function, argument), as they finish."""
        if self.pool is None:
            for key, function, argument in tasks:
                yield key, function(argument)
            return
        futures = {self.pool.submit(function, argument): key for key, function, argument in tasks}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _preload_writers() -> None:
    """Import the writers' libraries (WeasyPrint alone takes 0.7 s) before workers fork, so that
    they start warm, and a long-lived process (``formgen watch``) pays for it once."""
    from .writers import docx, pdf, xlsx  # noqa: F401  (python-docx, openpyxl)

    pdf.preload()


_LAYOUTS: dict[str, object] = {}  # one Layouts per templates folder, per process


def _layouts(templates: str):
    from .layout import Layouts

    if templates not in _LAYOUTS:
        _LAYOUTS[templates] = Layouts(Path(templates))
    return _LAYOUTS[templates]


def _render_task(task) -> list[str] | str:
    """Render one project in every format; the written paths, or an error message."""
    project, templates, stem, formats = task
    try:
        layout = _layouts(templates)
        sheet = layout.sheet(project)
        files = []
        for fmt in formats:
            target = Path(f"{stem}.{fmt}")
            write_atomically(target, _writer(fmt, sheet, layout))
            files.append(str(target))
        return files
    except (FormgenError, OSError) as error:
        return str(error) if isinstance(error, FormgenError) else f"无法写入输出文件：{error}"


def _writer(fmt: str, sheet, layout):
    from .writers import docx, pdf, xlsx

    return {
        "docx": lambda path: docx.write(sheet, path),
        "xlsx": lambda path: xlsx.write(sheet, path),
        "pdf": lambda path: pdf.write(sheet, path, layout.stylesheet()),
    }[fmt]


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


def _remove_leftover_temporaries(output: Path) -> None:
    """Temporary files a killed build left behind (a rename never happened)."""
    if output.is_dir():
        for path in output.rglob(".*.tmp"):
            path.unlink(missing_ok=True)


# --- the 汇总表 -------------------------------------------------------------------

@dataclass
class _Unit:
    """The forms of one folder whose formgen.yaml names a 汇总表."""

    title: str
    folder: Path  # output folder
    settings: Settings
    forms: list[Form]

    @property
    def stem(self) -> Path:
        return self.folder / output_file_stem(self.title)

    def ordered(self) -> list[Form]:
        """The user's 顺序 first, then the others in file order."""
        rank = {name: i for i, name in enumerate(self.settings.order)}
        return sorted(self.forms, key=lambda f: (rank.get(f.name, len(rank)), str(f.source.file), f.index))

    def fingerprint(self, formats) -> str:
        parts = [formgen_version(), self.title, ",".join(formats)]
        parts += [f"{f.source.fingerprint}:{f.index}" for f in self.ordered()]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _plan_compilations(forms: list[Form], formats, state: "_State", output: Path, report: Report):
    """The 汇总表 tasks to run, ((unit, "grid" or "pdf"), function, argument), for each unit whose
    forms, order or title changed; the others keep their record."""
    units: dict[Path, _Unit] = {}
    for form in forms:
        settings = form.source.settings
        if settings.summary_title is None or not form.source.whole_folder:
            continue
        folder = output / settings.summary_folder.relative_to(form.source.root)
        units.setdefault(folder, _Unit(settings.summary_title, folder, settings, [])).forms.append(form)
    planned = []
    for unit in units.values():
        unit_formats = formats or unit.settings.formats
        stem = str(unit.stem)
        previous = state.previous_compilations.get(stem)
        if any(unit.settings.summary_folder in Path(f).parents for f in state.failing):
            # Never publish a compilation that silently lacks a failing form: keep the last one.
            if previous:
                state.compilations[stem] = {**previous, "fingerprint": ""}
            report.failed.append([Problem(display_path(unit.settings.files[-1]), None, "汇总表标题",
                                          f"{unit.title} 未更新：其中有项目出错，改正后会重新生成")])
            continue
        fingerprint = unit.fingerprint(unit_formats)
        if previous and previous["fingerprint"] == fingerprint and all(Path(f).is_file() for f in previous["files"]):
            state.compilations[stem] = previous
            continue
        # Until all its formats are written (Ctrl-C, a failure), the record keeps the last files.
        state.compilations[stem] = {"fingerprint": "", "files": list(previous["files"]) if previous else [],
                                    "folder": str(unit.settings.summary_folder)}
        members = [_MemberSource(form.source.file, form.index, form.source.settings, str(form.source.templates),
                                 form.kind, form.name, f"{form.stem}.pdf") for form in unit.ordered()]
        grids = [fmt for fmt in unit_formats if fmt != "pdf"]
        tasks = [((unit, "grid"), _compile_grids_task, (grids, unit.title, members, stem))] if grids else []
        if "pdf" in unit_formats:
            css = _layouts(str(unit.forms[0].source.templates)).stylesheet()
            tasks.append(((unit, "pdf"), _compile_pdf_task, (unit.title, members, stem, css, str(output / CACHE_FOLDER))))
        state.unfinished[stem] = (len(tasks), fingerprint, [])
        planned += tasks
    return planned


@dataclass
class _MemberSource:
    """Where a 汇总表 finds one of its forms; the worker that writes the 汇总表 lays it out."""

    file: Path
    index: int
    settings: Settings
    templates: str
    kind: str
    name: str
    pdf: str


def _compile_grids_task(task) -> list[str] | str:
    """Write the DOCX and XLSX of one 汇总表, laying its forms out here, in the worker."""
    from . import compilation

    formats, title, sources, stem = task
    try:
        members = []
        for source in sources:
            loaded = load_file(source.file, source.settings)[source.index]
            if isinstance(loaded, ProjectError):  # edited since the build began
                raise loaded
            sheet = _layouts(source.templates).sheet(loaded.project)
            members.append(compilation.Member(sheet, source.kind, loaded.project.headline_amount))
        writers = {"docx": compilation.write_docx, "xlsx": compilation.write_xlsx}
        for fmt in formats:
            write_atomically(Path(f"{stem}.{fmt}"), lambda path, fmt=fmt: writers[fmt](title, members, path))
        return [f"{stem}.{fmt}" for fmt in formats]
    except (FormgenError, OSError) as error:
        return f"汇总表 {Path(stem).name} 生成失败：{error}"


def _compile_pdf_task(task) -> list[str] | str:
    """The 汇总表 PDF: its title page and the forms' own PDFs (none when they were not made)."""
    from . import compilation

    title, sources, stem, css, covers = task
    if not all(Path(source.pdf).is_file() for source in sources):
        return []
    try:
        pages = [(source.name, source.pdf) for source in sources]
        write_atomically(Path(f"{stem}.pdf"), lambda path: compilation.write_pdf(title, pages, path, css, Path(covers)))
        return [f"{stem}.pdf"]
    except (FormgenError, OSError) as error:
        return f"汇总表 {Path(stem).name}.pdf 生成失败：{error}"


# --- what the last build did ------------------------------------------------------

class _State:
    """The record of the last build, kept in the output folder: per source file its fingerprint
    and the forms it gave (name, kind, output stem, files, warnings); per 汇总表 the same."""

    def __init__(self, data: dict, output: Path):
        self.output = output
        self.previous_sources: dict = data.get("sources", {})
        self.previous_compilations: dict = data.get("compilations", {})
        self.compilations: dict = {}  # this build's 汇总表 records, by stem
        self.unfinished: dict[str, tuple[int, str, list]] = {}  # 汇总表 being written: formats left, fingerprint, files
        self.scope: list[Path] = []  # the paths this build was given: records outside them are kept
        self.discovered: set[str] = set()  # the project files this build found
        self.failing: set[str] = set()  # project files with a project that failed this build

    @classmethod
    def read(cls, output: Path) -> "_State":
        try:
            data = json.loads((output / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        return cls(data if data.get("version") == formgen_version() else {}, output)

    def reuse(self, source: Source) -> list[Form] | None:
        """The forms of an unchanged file whose outputs all exist, without reading it; else None."""
        record = self.previous_sources.get(str(source.file))
        if not record or record["fingerprint"] != source.fingerprint:
            return None
        folder = self.output / source.file.parent.relative_to(source.root)
        forms = []
        for item in record["forms"]:
            files = [Path(f) for f in item["files"]]
            if Path(item["stem"]).parent != folder or not all(f.is_file() for f in files):
                return None
            warnings = [Problem(*w) for w in item["warnings"]]
            forms.append(Form(source, item["index"], item["name"], item["kind"], Path(item["stem"]), warnings,
                              None, files))
        return forms

    def _in_scope(self, path: Path, folder: bool = False) -> bool:
        """Whether this build covers ``path``: a file at or under a path given, a 汇总表 folder under a folder given."""
        return any(path == given or given in path.parents for given in self.scope if given.is_dir() or not folder)

    def save(self, report: Report) -> list[Path]:
        """Record this build and remove the outputs of the last one that nothing claims any more."""
        sources: dict[str, dict] = {}
        for form in report.done:
            record = sources.setdefault(str(form.source.file), {"fingerprint": form.source.fingerprint, "forms": []})
            record["forms"].append({
                "index": form.index, "name": form.name, "kind": form.kind, "stem": str(form.stem),
                "files": [str(f) for f in form.files],
                "warnings": [[w.file, w.line, w.field, w.message, w.level] for w in form.warnings]})
        for file, record in self.previous_sources.items():
            if not self._in_scope(Path(file)):
                sources[file] = record  # another build's business
            elif file in self.discovered and (file not in sources or file in self.failing):
                # Failing now, or not reached (Ctrl-C): keep its last good outputs, redo it next time.
                kept = sources.setdefault(file, {"forms": []})
                kept["fingerprint"] = ""
                kept["forms"] += [f for f in record["forms"] if f not in kept["forms"]]
        for stem, record in self.previous_compilations.items():
            if stem not in self.compilations and not self._in_scope(Path(record.get("folder", "/")), folder=True):
                self.compilations[stem] = record
        claimed = {f for r in sources.values() for item in r["forms"] for f in item["files"]}
        claimed |= {f for c in self.compilations.values() for f in c["files"]}
        previous = {f for r in self.previous_sources.values() for item in r["forms"] for f in item["files"]}
        previous |= {f for c in self.previous_compilations.values() for f in c["files"]}
        removed = []
        for stale in sorted(previous - claimed):
            path = Path(stale)
            if path.is_file():
                path.unlink()
                removed.append(path)
        if sources or self.compilations or self.output.is_dir():
            data = {"version": formgen_version(), "sources": sources, "compilations": self.compilations}
            write_text_atomically(self.output / STATE_FILE, json.dumps(data, ensure_ascii=False, indent=1))
        return removed
