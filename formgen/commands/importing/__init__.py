"""``formgen import``: existing XLSX and DOCX forms → project files, one per form.

A file is read into Sheets (``readers``), each form's fields are found by their
labels (``labels``) and gathered into project data (``kinds``). The indicator
hierarchy is rebuilt from the merges (an unmerged blank 一级/二级 cell means "same
as above"). A project file is written only when nothing was lost: its data is
validated like any project file first, and an existing file is never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import ProjectError
from ...files import write_text_atomically
from ...load import Settings, load_document
from ...load.yamlread import Document
from ...readers import ReadError, form_kind, read
from ...workspace.names import form_file_stem
from ...yamlwrite import as_read, dump
from .kinds import project_data


@dataclass
class Imported:
    """What importing one form gave: the file written, or why none was."""

    source: str
    written: Path | None
    problems: list[str]
    notes: list[str]


def import_files(files: list[Path], folder: Path) -> list[Imported]:
    """Read every form of ``files`` and write one project file per form into ``folder``."""
    results = []
    for path in files:
        try:
            found = read(path)
        except ReadError as error:  # not a form file at all: encrypted, damaged, too large
            results.append(Imported(str(path), None, [str(error)], []))
            continue
        if not found:
            results.append(Imported(str(path), None, [f"{path}：未找到申报表、自评表或目标表"], []))
        for form in found:
            results.append(_import_form(form, folder))
    return results


def _import_form(form, folder: Path) -> Imported:
    data, problems, notes = project_data(form)
    problems = form.problems + problems
    name = data.get("项目名称") or "未命名项目"
    target = folder / f"{form_file_stem(name, form_kind(form.sheet))}.yaml"
    document = Document(str(target), as_read(data), 1)
    if not problems:  # every field must validate as read, or nothing is written
        try:
            load_document(document, target, Settings(), apply_rules=False)
        except ProjectError as error:
            problems = [f"{form.source}：{p.field} {p.message}" for p in error.problems]
    if not problems and target.exists():
        problems = [f"{form.source}：{target} 已存在，未覆盖"]
    if problems:
        return Imported(form.source, None, problems, notes)
    write_text_atomically(target, dump(data, header=[f"由 formgen import 从 {form.source} 读入"]))
    try:  # what the form itself gets wrong (a sum, a date) is worth knowing, not a reason to lose it
        load_document(document, target, Settings())
    except ProjectError as error:
        notes = notes + [f"原表中的问题：{p.field} {p.message}" for p in error.problems]
    return Imported(form.source, target, [], notes)
