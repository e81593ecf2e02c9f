"""A workspace → its forms and its 汇总表 on disk, rebuilding only what changed.

A build runs in four steps:

1. ``sources.discover`` finds the project files and fingerprints their inputs;
2. a file whose fingerprint equals the one recorded by the last build, and whose
   outputs are all still there, is not even read again; the others are loaded and
   checked, and every valid project is rendered, in parallel across the cores;
3. each folder whose ``formgen.yaml`` names a 汇总表 gets it rebuilt when any of its
   forms, their order or its title changed (``compilation``);
4. outputs the last build wrote that no project claims any more (a project deleted
   or renamed) are removed, and the record of this build is saved (``state``).

A bad project never stops the others. Every file is written to a temporary name
and renamed into place, so an interrupted build leaves no half-written form, and
the next build redoes whatever the interrupted one did not record.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FormgenError, Problem, ProjectError
from ..files import TEMPORARY_PATTERN, display_path, os_reason
from ..load import SETTINGS_FILE, load_file
from .. import writers
from .compilation import compilation_stem, plan_compilations, record_compilation
from .lock import LOCK_FILE, output_lock
from .names import MAX_STEM_CHARACTERS, form_file_stem, same_file_key
from .sources import Source, discover
from .state import BuildRecord, Form
from .tasks import Failed, FormTask, Workers, lay_out, render_form


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
    def new_warnings(self) -> list[Problem]:
        """Warnings and notes of the forms this build rendered (the others were shown before)."""
        return [w for form in self.built for w in form.warnings]

    @property
    def written(self) -> list[Path]:
        return [f for form in self.built for f in form.files] + self.compilations

    @property
    def ok(self) -> bool:
        return not self.failed


def check(paths: list[Path]) -> Report:
    """Load and validate every project, and lay it out through its templates, writing nothing: what
    fails here would fail a build (output names that collide, a template's error, a form too long)."""
    started = time.perf_counter()
    report = Report()
    sources, problems = discover([p.absolute() for p in paths], None)  # as a build: the same templates
    report.failed += problems
    for source in sources:
        for form in _load(source, Path("."), report):
            try:
                lay_out(form.loaded.project, tuple(map(str, source.templates)))
            except FormgenError as error:
                report.failed.append([form.loaded.problem((), str(error))])
            else:
                report.unchanged.append(form)
    _without_collisions([], report.unchanged, report, Path("."))  # as a build would find them
    report.seconds = time.perf_counter() - started
    return report


def _load(source: Source, output: Path, report: Report) -> list[Form]:
    """The valid projects of one file as forms; its failures go to the report (a formgen.yaml
    error once, not once for every project below it)."""
    if isinstance(source.settings, ProjectError):
        if source.settings.problems not in report.failed:
            report.failed.append(source.settings.problems)
        return []
    forms = []
    for index, result in enumerate(load_file(source.file, source.settings)):
        if isinstance(result, ProjectError):
            report.failed.append(result.problems)
            continue
        project = result.project
        folder = source.file.parent.relative_to(source.root)
        if len(project.name) > MAX_STEM_CHARACTERS:
            result.warnings.append(result.problem(("项目名称",), f"项目名称超过 {MAX_STEM_CHARACTERS} 字，"
                                                                f"输出文件名只取前 {MAX_STEM_CHARACTERS} 字", "note"))
        forms.append(Form(source, index, project.name, project.form,
                          output / folder / form_file_stem(project.name, project.form), result.warnings, result))
    return forms


def build(paths: list[Path], output: Path, formats: tuple[str, ...] | None = None, jobs: int | None = None,
          on_progress=lambda done, total, label, ok: None) -> Report:
    """Bring ``output`` up to date with the projects under ``paths``; see the module docstring.

    ``on_progress(done, total, label, ok)`` is called as each form and each 汇总表 is finished;
    ``label`` names it with its folder (``某局/课题研究``, ``某局/汇总表 某局汇总表``)."""
    output = output.absolute()  # the record of a build must not depend on the current folder
    _prepare_output(output)
    with output_lock(output):
        return _build(paths, output, formats, jobs, on_progress)


def _prepare_output(output: Path) -> None:
    """The output folder exists and is a folder, or the user is told why not."""
    if output.exists() and not output.is_dir():
        raise FormgenError(f"输出目录 {display_path(output)} 已存在且不是目录，请换一个输出目录（-o）")
    try:
        output.mkdir(parents=True, exist_ok=True)
        (output / LOCK_FILE).touch()
    except OSError as error:
        raise FormgenError(f"无法写入输出目录 {display_path(output)}：{os_reason(error)}") from None


def _build(paths: list[Path], output: Path, formats, jobs, on_progress) -> Report:
    started = time.perf_counter()
    report = Report()
    record = BuildRecord.read(output)
    record.formats = formats
    _remove_leftover_temporaries(output)  # under the lock: only killed builds leave these
    # A path that does not exist is an error, never a reason to delete what it built last time.
    record.scope = [p.absolute() for p in paths if p.exists()]
    sources, problems = discover([p.absolute() for p in paths], formats)
    record.discovered = {str(source.file) for source in sources}
    report.failed += problems

    pending: list[Form] = []
    for source in sources:
        reused = record.reuse(source)
        if reused is not None:
            report.unchanged += reused
            continue
        failures = len(report.failed)
        pending += _load(source, output, report)
        if len(report.failed) > failures or isinstance(source.settings, ProjectError):
            record.failing.add(str(source.file))
    pending, clashing, refused = _without_collisions(pending, report.unchanged, report, output)
    record.failing |= {str(form.source.file) for form in clashing}

    # Only when there is something to write: checking for PDF means loading WeasyPrint (0.7 s).
    missing = _unavailable_formats(formats, sources, output, report) if pending else set()
    compilations = plan_compilations(report.unchanged + pending, formats, record, output, report.failed, missing,
                                     refused)
    form_tasks = [(form, render_form, FormTask(form.loaded.project, tuple(map(str, form.source.templates)), str(form.stem),
                                               _writable(formats or form.source.settings.formats, missing)))
                  for form in pending]
    if missing:  # their last outputs in those formats are kept, and the next build makes them
        record.failing |= {str(form.source.file) for form in pending}
    try:
        total = len(form_tasks) + len(compilations)
        with Workers(jobs, total, formats or writers.FORMATS) as workers:
            done, unwritten = 0, set()
            # A 汇总表 is written once the forms of it that this build renders are (its PDF is made
            # of their PDFs), while the forms of other units still print.
            rendering = {str(form.source.file) for form in pending}
            waiting = {id(task): {str(m.file) for m in task[2].members} & rendering for task in compilations}

            def written(form, outcome) -> list:
                """The 汇总表 tasks whose last form this was."""
                if not isinstance(form, Form):
                    return []
                ready = []
                for task in compilations:
                    if str(form.source.file) in waiting[id(task)]:
                        waiting[id(task)].discard(str(form.source.file))
                        ready += [] if waiting[id(task)] else [task]
                return _without_failed_members(ready, unwritten, record, report)

            ready_now = [task for task in compilations if not waiting[id(task)]]
            tasks = form_tasks + _without_failed_members(ready_now, unwritten, record, report)
            for key, outcome in workers.run(tasks, then=written):
                done += 1
                if isinstance(key, Form):
                    _record_form(key, outcome, report, record)
                    if isinstance(outcome, Failed):
                        unwritten.add(str(key.source.file))
                    on_progress(done, total, f"{key.stem.parent.name}/{key.name}", not isinstance(outcome, Failed))
                else:
                    plan, group = key
                    record_compilation(plan, outcome, record, report.compilations, report.failed)
                    kind = "/".join(fmt.upper() for fmt in group)
                    on_progress(done, total, f"{plan.folder.name}/汇总表 {plan.title}（{kind}）", not isinstance(outcome, Failed))
    finally:
        try:
            report.removed = record.save(report.done, report.written)
        except OSError as error:
            report.failed.append([Problem(display_path(output), None, "", f"无法保存生成记录：{os_reason(error)}")])
        report.seconds = time.perf_counter() - started
    return report


def _without_failed_members(tasks: list, unwritten: set[str], record: BuildRecord, report: Report) -> list:
    """The 汇总表 tasks whose forms were all written by this build: one that would hold an old copy
    of a form that failed now is not written (the next build repairs it)."""
    kept = []
    for task in tasks:
        plan, compilation = task[0][0], task[2]
        if any(str(member.file) in unwritten for member in compilation.members):
            record_compilation(plan, Failed(f"汇总表 {plan.stem.name} 未更新：其中有表单未能生成，改正后会重新生成"),
                               record, report.compilations, report.failed)
        else:
            kept.append(task)
    return kept


def _unavailable_formats(formats, sources: list[Source], output: Path, report: Report) -> set[str]:
    """The formats asked for that this machine cannot write, each reported once, with what to install."""
    asked = set(formats or ()) or {f for s in sources if not isinstance(s.settings, ProjectError) for f in s.settings.formats}
    missing = {fmt for fmt in writers.FORMATS if fmt in asked and writers.unavailable(fmt)}
    for fmt in sorted(missing):
        report.failed.append([Problem(display_path(output), None, "", f"未生成 {fmt.upper()}：{writers.unavailable(fmt)}")])
    return missing


def _writable(formats: tuple[str, ...], missing: set[str]) -> tuple[str, ...]:
    return tuple(fmt for fmt in formats if fmt not in missing)


def _record_form(form: Form, outcome, report: Report, record: BuildRecord) -> None:
    if isinstance(outcome, Failed):
        report.failed.append([form.loaded.problem((), outcome.message)])
        record.failing.add(str(form.source.file))
    else:
        form.files = [Path(p) for p in outcome.files]
        report.built.append(form)


def _without_collisions(pending: list[Form], unchanged: list[Form], report: Report,
                        output: Path) -> tuple[list[Form], list[Form], set[Path]]:
    """Two projects that would write the same files: both fail, naming each other, and nothing is
    written. A 汇总表 whose title names a form's files would overwrite them: it is not written (the
    form is), and its formgen.yaml says why. Returns the forms to render, the clashing ones, and the
    stems of the 汇总表 not to write."""
    forms = unchanged + pending
    by_stem: dict[str, list[Form]] = defaultdict(list)
    for form in forms:
        by_stem[same_file_key(form.stem)].append(form)
    clashing = {id(f) for same in by_stem.values() if len(same) > 1 for f in same}
    for stem, same in by_stem.items():
        if len(same) < 2:
            continue
        places = "、".join(f"{display_path(f.source.file)}（第 {f.index + 1} 个项目）" for f in same[:3])
        places += f" 等 {len(same)} 个项目" if len(same) > 3 else ""  # not n² text for n copies of a name
        for form in same:
            file = display_path(form.source.file)
            report.failed.append([Problem(file, None, "项目名称",
                                          f"{form.name}：与其他项目输出到同一文件 {display_path(same[0].stem)}.*（{places}），"
                                          "请改用不同的项目名称")])
    refused = set()
    for source in {form.source.settings.compilation_folder: form.source for form in forms
                   if form.source.in_compilation}.values():
        stem = compilation_stem(source, output)
        named = by_stem.get(same_file_key(stem))
        if named:
            refused.add(stem)
            report.failed.append([Problem(
                display_path(source.settings.compilation_folder / SETTINGS_FILE), None, "汇总表标题",
                f"{source.settings.compilation_title}：汇总表的文件名与项目“{named[0].name}”（{display_path(named[0].source.file)}）"
                f"的输出文件 {display_path(stem)}.* 相同，会覆盖该表单，因此未生成汇总表；请改用不同的汇总表标题")])
    clashed = [f for f in forms if id(f) in clashing]
    report.unchanged[:] = [f for f in unchanged if id(f) not in clashing]
    return [f for f in pending if id(f) not in clashing], clashed, refused


def _remove_leftover_temporaries(output: Path) -> None:
    """Temporary files a killed build left behind (a rename never happened)."""
    if output.is_dir():
        for path in output.rglob(TEMPORARY_PATTERN):
            path.unlink(missing_ok=True)
