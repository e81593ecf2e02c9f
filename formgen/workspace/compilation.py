"""Planning a unit's 汇总表: which folders have one, which forms it holds, whether it must be rewritten.

A folder whose ``formgen.yaml`` names a ``汇总表标题`` gets one 汇总表 of every form
below it, in the user's ``顺序`` and then in file order. It is rewritten when its
forms, their order or its title changed, and never published while one of its
forms fails: the last good one is kept until the form is mended.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..files import display_path
from ..load import Settings
from .. import writers
from .names import CACHE_FOLDER, output_file_stem
from .sources import Source, formgen_version
from .state import BuildRecord, Form, PendingCompilation
from .tasks import CompilationTask, Failed, MemberSource, write_compilation


@dataclass
class CompilationPlan:
    """The forms of one folder whose formgen.yaml names a 汇总表."""

    title: str
    folder: Path  # output folder
    settings: Settings
    forms: list[Form]

    @property
    def stem(self) -> Path:
        return self.folder / output_file_stem(self.title)

    @property
    def settings_file(self) -> str:
        """The formgen.yaml problems of this 汇总表 are reported against."""
        return display_path(self.settings.files[-1])

    def ordered(self) -> list[Form]:
        """The user's 顺序 first, then the others in file order."""
        rank = {name: i for i, name in enumerate(self.settings.order)}
        return sorted(self.forms, key=lambda f: (rank.get(f.name, len(rank)), str(f.source.file), f.index))

    def fingerprint(self, formats) -> str:
        parts = [formgen_version(), self.title, ",".join(formats)]
        parts += [f"{f.source.fingerprint}:{f.index}" for f in self.ordered()]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def compilation_stem(source: Source, output: Path) -> Path:
    """Where the 汇总表 that ``source``'s forms go into is written, without its suffix."""
    settings = source.settings
    return output / settings.compilation_folder.relative_to(source.root) / output_file_stem(settings.compilation_title)


def plan_compilations(forms: list[Form], formats, record: BuildRecord, output: Path, failed: list,
                      missing: set[str] = frozenset(), refused: set[Path] = frozenset()) -> list:
    """The 汇总表 tasks to run, ``((plan, formats), write_compilation, task)``: one task for the
    formats made of the forms' Sheets, one for those made of their printed files. Those left
    as they were keep their record; one with a failing form adds its problem to ``failed``. Formats
    this machine cannot write (``missing``) are left out, their last files kept; the 汇总表 of
    ``refused`` stems are not written at all."""
    plans: dict[Path, CompilationPlan] = {}
    for form in forms:
        if not form.source.in_compilation:
            continue
        settings = form.source.settings
        folder = compilation_stem(form.source, output).parent
        plans.setdefault(folder, CompilationPlan(settings.compilation_title, folder, settings, [])).forms.append(form)
    planned = []
    for plan in plans.values():
        if plan.stem in refused:  # its title names a form's files (build._without_collisions said so)
            continue
        formats_of_plan = tuple(f for f in formats or plan.settings.formats if f not in missing)
        stem = str(plan.stem)
        previous = record.previous_compilations.get(stem)
        if any(plan.settings.compilation_folder in Path(f).parents for f in record.failing):
            # Never publish a compilation that silently lacks a failing form: keep the last one.
            if previous:
                record.compilations[stem] = {**previous, "fingerprint": ""}
            failed.append([Problem(plan.settings_file, None, "汇总表标题",
                                   f"{plan.title} 未更新：其中有项目出错，改正后会重新生成")])
            continue
        fingerprint = plan.fingerprint(formats_of_plan)
        if previous and previous["fingerprint"] == fingerprint and all(Path(f).is_file() for f in previous["files"]):
            record.compilations[stem] = previous
            continue
        # Until all its formats are written (Ctrl-C, a failure), the record keeps the last files.
        record.compilations[stem] = {"fingerprint": "", "files": list(previous["files"]) if previous else [],
                                     "folder": str(plan.settings.compilation_folder)}
        last_files = (previous or {}).get("files", [])
        kept = [f for f in last_files if Path(f).suffix[1:] in missing]
        if kept:  # not written now: keep the last ones, and write them again once possible
            fingerprint = ""
        if formats:  # -f: the formats not asked for keep their last files (see BuildRecord.formats)
            kept += [f for f in last_files if Path(f).suffix[1:] not in formats and Path(f).is_file()]
        members = [MemberSource(form.source.file, form.index, form.source.settings, tuple(map(str, form.source.templates)),
                                form.kind, form.name, f"{form.stem}.pdf") for form in plan.ordered()]
        from_sheets = tuple(f for f in formats_of_plan if f not in writers.COMPILED_FROM_PRINTED_FORMS)
        from_printed = tuple(f for f in formats_of_plan if f in writers.COMPILED_FROM_PRINTED_FORMS)
        tasks = [((plan, group), write_compilation,
                  CompilationTask(plan.title, members, stem, group, str(output / CACHE_FOLDER)))
                 for group in [(fmt,) for fmt in from_sheets] + [from_printed] if group]  # one a format: in parallel
        record.pending[stem] = PendingCompilation(len(tasks), fingerprint, kept)
        planned += tasks
    return planned


def record_compilation(plan: CompilationPlan, outcome, record: BuildRecord, written: list[Path], failed: list) -> None:
    """Note what one 汇总表 task did; the record takes the new files once every format is written."""
    stem = str(plan.stem)
    pending = record.pending[stem]
    pending.formats_left -= 1
    if isinstance(outcome, Failed):  # the record keeps the last good files; next build tries again
        failed.append([Problem(plan.settings_file, None, "汇总表标题", outcome.message)])
        pending.fingerprint = ""
    else:
        pending.files += outcome.files
        written += [Path(p) for p in outcome.files]
    if pending.formats_left == 0 and pending.fingerprint:  # every format written: this is now the record
        record.compilations[stem].update(fingerprint=pending.fingerprint, files=pending.files)
