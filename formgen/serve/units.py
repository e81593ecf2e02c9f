"""The workspace as the overview lists it: units, their projects, each with its status.

The files on disk are the truth and are read again at every request, so edits made
outside the browser (a text editor, ``git pull``, the CLI) show up at once. A
project is checked again only when its fingerprint changed (its text, the
``formgen.yaml`` files and templates it inherits: ``workspace.sources``), and its
outputs are current when the last build's record holds that same fingerprint: a
save that changed nothing leaves them current, a changed ``formgen.yaml`` does not.

A user sees the units they may open and nothing of the others: not their projects,
not a 汇总表 that holds them (a 汇总表 set in the workspace's own formgen.yaml holds
every unit's forms, so it belongs to the workspace root, which only users of all
units open). Links are not followed, in the workspace or in the output folder.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ProjectError
from ..load import read_settings
from ..load.yamlread import read_text
from ..wording import format_amount
from ..workspace.names import TEMPLATES_FOLDER, form_file_stem, output_file_stem
from ..workspace.sources import discover
from ..workspace.state import BuildRecord
from ..writers import FORMATS
from .access import User
from .checking import Checked, check_text, plain_text, shown_file, shown_path
from .paths import ROOT_UNIT, relative_name, through_link, unit_of


@dataclass
class ProjectEntry:
    path: str  # workspace-relative, with /
    file: Path
    checked: Checked
    modified: datetime.datetime
    outputs: dict[str, Path] = field(default_factory=dict)  # format → output file, when written
    up_to_date: bool = False  # the outputs were built from the file and settings as they are now

    @property
    def built(self) -> datetime.datetime | None:
        """When the newest output was written."""
        times = [o.stat().st_mtime for o in self.outputs.values() if o.is_file()]
        return datetime.datetime.fromtimestamp(max(times)) if times else None

    @property
    def status(self) -> str:
        if not self.checked.ok:
            return "有错误"
        if any(p.level == "warning" for p in self.checked.problems):
            return "有警告"
        return "正常"

    @property
    def messages(self) -> list[tuple[str, str]]:
        """(level, plain text) of each problem."""
        return [(p.level, plain_text(p, self.checked.file)) for p in self.checked.problems]

    @property
    def amount(self) -> str:
        return format_amount(self.checked.amount) if self.checked.amount is not None else ""


@dataclass
class Unit:
    name: str  # folder name, or ROOT_UNIT
    projects: list[ProjectEntry]
    compilation: str | None = None  # the 汇总表's title
    compilation_outputs: dict[str, Path] = field(default_factory=dict)
    compilation_current: bool = False  # the 汇总表's files hold every form as it is now
    problems: list[Problem] = field(default_factory=list)  # its formgen.yaml's

    @property
    def label(self) -> str:
        return self.name or "（工作区根目录）"

    @property
    def messages(self) -> list[str]:
        return [plain_text(p) for p in self.problems]

    @property
    def compilation_stale(self) -> str:
        """Why the 汇总表's files are an older one (kept while a form of it fails), or "" when they are not."""
        if self.compilation_current or not self.compilation_outputs:
            return ""
        wrong = [p.checked.name or p.file.name for p in self.projects if not p.checked.ok]
        if wrong:
            return f"「{wrong[0]}」" + (f"等 {len(wrong)} 个项目" if len(wrong) > 1 else "") + "有错误，改正后重新生成"
        return "尚未按现在的项目重新生成"


class Workspace:
    """A workspace folder and the output folder its forms are built into."""

    def __init__(self, root: Path, output: Path):
        self.root = root.absolute()
        self.output = output.absolute()
        # (file, the folders its 申报表 may be read from) → (fingerprint, what the check found)
        self._checked: dict[tuple[str, tuple[Path, ...]], tuple[str, Checked]] = {}

    def units(self, user: User, only: str | None = None) -> list[Unit]:
        """The units ``user`` may open (or just unit ``only``), each with its projects, in folder order."""
        may_open = (lambda unit: unit == only and user.may_open(unit)) if only is not None else user.may_open
        readable = user.folders(self.root)
        sources, _ = discover([self.root], None)
        record = BuildRecord.read(self.output)
        built = {file: entry.get("fingerprint") for file, entry in record.previous_sources.items()}
        units: dict[str, Unit] = {}
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.is_symlink()
                             and not p.name.startswith(".") and p.name != TEMPLATES_FOLDER):
            if may_open(folder.name):
                units[folder.name] = self._unit(folder.name)
        if may_open(ROOT_UNIT):  # listed for its 汇总表 even with no project beside it
            root = self._unit(ROOT_UNIT)
            if root.compilation:
                units[ROOT_UNIT] = root
        for source in sources:
            path = relative_name(self.root, source.file)
            unit = unit_of(path)
            if not may_open(unit) or through_link(self.root, source.file):
                continue
            if unit not in units:
                units[unit] = self._unit(unit)
            entry = self._entry(path, source.file, source.fingerprint, readable)
            recorded = built.get(str(source.file.relative_to(self.root))) or built.get(str(source.file))
            entry.up_to_date = bool(entry.outputs) and recorded == source.fingerprint
            units[unit].projects.append(entry)
        for unit in units.values():
            if unit.compilation_outputs:  # the root's 汇总表 holds every unit's forms
                members = [p for u in units.values() for p in u.projects] if unit.name == ROOT_UNIT else unit.projects
                unit.compilation_current = (self._compilation_recorded(unit, record.previous_compilations)
                                            and all(p.up_to_date for p in members))
        return sorted(units.values(), key=lambda u: (u.name != ROOT_UNIT, u.name))

    def _compilation_recorded(self, unit: Unit, compilations: dict) -> bool:
        """Whether the last build recorded the unit's 汇总表 as written whole (a fingerprint): one kept from
        before, for a failing form or a format that failed, has none."""
        written = {p.resolve().with_suffix("") for p in unit.compilation_outputs.values()}
        for stem, entry in compilations.items():
            if (self.root / stem).resolve() in written:  # the build names it from the workspace folder
                return bool(entry.get("fingerprint"))
        return False

    def unit(self, user: User, name: str) -> Unit | None:
        return next(iter(self.units(user, only=name)), None)

    def project(self, user: User, path: str) -> ProjectEntry | None:
        unit = self.unit(user, unit_of(path))
        return next((p for p in unit.projects if p.path == path), None) if unit else None

    def _unit(self, name: str) -> Unit:
        unit = Unit(name, [])
        folder = self.root / name if name else self.root
        try:
            settings = read_settings(folder, self.root)
        except ProjectError as error:
            unit.problems = [shown_path(problem, self.root) for problem in error.problems]
            return unit
        if settings.compilation_title and settings.compilation_folder == folder:  # not one set above it
            unit.compilation = settings.compilation_title
            stem = self._output_folder(folder) / output_file_stem(settings.compilation_title)
            unit.compilation_outputs = _existing(stem)
        return unit

    def _entry(self, path: str, file: Path, fingerprint: str, readable: tuple[Path, ...]) -> ProjectEntry:
        cached = self._checked.get((path, readable))
        if cached is None or cached[0] != fingerprint:
            try:
                checked = check_text(self.root, file, read_text(file), readable)
            except ProjectError as error:  # not UTF-8, or unreadable: said as the CLI says it
                checked = Checked(problems=[shown_path(problem, self.root) for problem in error.problems],
                                  file=shown_file(file, self.root))
            self._checked[path, readable] = cached = (fingerprint, checked)
        checked = cached[1]
        stat = file.stat()
        entry = ProjectEntry(path, file, checked, datetime.datetime.fromtimestamp(stat.st_mtime))
        if checked.name and checked.kind:
            entry.outputs = _existing(self._output_folder(file.parent) / form_file_stem(checked.name, checked.kind))
        return entry

    def _output_folder(self, folder: Path) -> Path:
        return self.output / folder.relative_to(self.root)


def _existing(stem: Path) -> dict[str, Path]:
    """The output files of ``stem`` that exist, by format; a link is not an output."""
    files = {fmt: stem.with_name(f"{stem.name}.{fmt}") for fmt in FORMATS}
    return {fmt: file for fmt, file in files.items() if file.is_file() and not file.is_symlink()}

