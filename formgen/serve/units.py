"""The workspace as the overview lists it: units, their projects, each with its status.

The files on disk are the truth and are read again at every request, so edits made
outside the browser (a text editor, ``git pull``, the CLI) show up at once. A
project is checked again only when its fingerprint changed (its text, the
``formgen.yaml`` files and templates it inherits: ``workspace.sources``), and its
outputs are current when the last build's record holds that same fingerprint: a
save that changed nothing leaves them current, a changed ``formgen.yaml`` does not.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ProjectError
from ..files import display_path
from ..load import read_settings
from ..load.yamlread import read_text
from ..wording import format_amount
from ..workspace.names import TEMPLATES_FOLDER, form_file_stem, output_file_stem
from ..workspace.sources import discover
from ..workspace.state import BuildRecord
from ..writers import FORMATS
from .checking import Checked, check_text, plain_text
from .paths import ROOT_UNIT, relative_name, unit_of


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
    problems: list[Problem] = field(default_factory=list)  # its formgen.yaml's

    @property
    def label(self) -> str:
        return self.name or "（工作区根目录）"

    @property
    def messages(self) -> list[str]:
        return [plain_text(p) for p in self.problems]


class Workspace:
    """A workspace folder and the output folder its forms are built into."""

    def __init__(self, root: Path, output: Path):
        self.root = root.absolute()
        self.output = output.absolute()
        self._checked: dict[str, tuple[str, Checked]] = {}  # file → (fingerprint, what the check found)

    def units(self, may_open=lambda unit: True) -> list[Unit]:
        """The units a user may open, each with its projects, in folder order."""
        sources, _ = discover([self.root], None)
        built = {file: record.get("fingerprint") for file, record in BuildRecord.read(self.output).previous_sources.items()}
        units: dict[str, Unit] = {}
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.is_symlink()
                             and not p.name.startswith(".") and p.name != TEMPLATES_FOLDER):
            if may_open(folder.name):
                units[folder.name] = self._unit(folder.name)
        for source in sources:
            path = relative_name(self.root, source.file)
            unit = unit_of(path)
            if not may_open(unit):
                continue
            if unit not in units:
                units[unit] = self._unit(unit)
            entry = self._entry(path, source.file, source.fingerprint)
            entry.up_to_date = bool(entry.outputs) and built.get(str(source.file)) == source.fingerprint
            units[unit].projects.append(entry)
        return sorted(units.values(), key=lambda u: (u.name != ROOT_UNIT, u.name))

    def unit(self, name: str) -> Unit:
        return next((u for u in self.units(lambda unit: unit == name) if u.name == name), self._unit(name))

    def project(self, path: str) -> ProjectEntry | None:
        unit = self.unit(unit_of(path))
        return next((p for p in unit.projects if p.path == path), None)

    def _unit(self, name: str) -> Unit:
        unit = Unit(name, [])
        folder = self.root / name if name else self.root
        try:
            settings = read_settings(folder, self.root)
        except ProjectError as error:
            unit.problems = error.problems
            return unit
        if settings.compilation_title and settings.compilation_folder is not None:
            unit.compilation = settings.compilation_title
            stem = self._output_folder(settings.compilation_folder) / output_file_stem(settings.compilation_title)
            unit.compilation_outputs = _existing(stem)
        return unit

    def _entry(self, path: str, file: Path, fingerprint: str) -> ProjectEntry:
        cached = self._checked.get(path)
        if cached is None or cached[0] != fingerprint:
            try:
                checked = check_text(self.root, file, read_text(file))
            except ProjectError as error:  # not UTF-8, or unreadable: said as the CLI says it
                checked = Checked(problems=error.problems, file=display_path(file))
            self._checked[path] = cached = (fingerprint, checked)
        checked = cached[1]
        stat = file.stat()
        entry = ProjectEntry(path, file, checked, datetime.datetime.fromtimestamp(stat.st_mtime))
        if checked.name and checked.kind:
            entry.outputs = _existing(self._output_folder(file.parent) / form_file_stem(checked.name, checked.kind))
        return entry

    def _output_folder(self, folder: Path) -> Path:
        return self.output / folder.relative_to(self.root)


def _existing(stem: Path) -> dict[str, Path]:
    return {fmt: stem.with_name(f"{stem.name}.{fmt}") for fmt in FORMATS if stem.with_name(f"{stem.name}.{fmt}").is_file()}
