"""The project files of a workspace, what each inherits, and a fingerprint of all of it.

A fingerprint is a hash of every input of a project's outputs: the file itself,
the ``formgen.yaml`` files it inherits, the templates of its workspace, the formats
asked for and formgen's version. The build compares fingerprints, not modification
times, to decide what to render again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..errors import Problem, ProjectError
from ..files import display_path
from ..layout import BUILTIN_TEMPLATES
from ..load import SETTINGS_FILE, Settings, read_settings
from ..load.yamlread import read_bytes
from ..load.pairing import declaration_path
from .names import PROJECT_SUFFIXES, TEMPLATES_FOLDER

_WRITER_TEMPLATES = Path(__file__).parent.parent / "writers"


@dataclass
class Source:
    """One project file, the workspace root it was found under, and what it inherits."""

    file: Path
    root: Path
    settings: Settings | ProjectError
    fingerprint: str
    whole_folder: bool = True  # False when the file was named alone: it makes no 汇总表

    @property
    def in_compilation(self) -> bool:
        """Whether this file's forms go into a 汇总表 in this build."""
        return isinstance(self.settings, Settings) and self.settings.compilation_title is not None and self.whole_folder

    @property
    def templates(self) -> tuple[Path, ...]:
        """The ``templates/`` folders that apply to this file, nearest first: like formgen.yaml,
        a unit folder's own templates override the workspace's."""
        return template_folders(self.file.parent, self.root)


def template_folders(folder: Path, root: Path) -> tuple[Path, ...]:
    folders = [folder]
    while folders[-1] != root and root in folders[-1].parents:
        folders.append(folders[-1].parent)
    return tuple(f / TEMPLATES_FOLDER for f in folders)


@cache
def formgen_version() -> str:
    try:
        return version("formgen")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"




def project_files(root: Path) -> list[Path]:
    """The project files of a workspace, in a stable order; templates and settings are not projects
    (a settings file spelled ``FORMGEN.YAML`` is listed: ``discover`` tells it apart)."""
    if root.is_file():
        return [root]
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.suffix.lower() not in PROJECT_SUFFIXES or path.name == SETTINGS_FILE:
            continue
        if TEMPLATES_FOLDER in relative.parts[:-1] or any(part.startswith(".") for part in relative.parts):
            continue
        files.append(path)
    return files


def _read_as_settings(file: Path) -> bool:
    """Whether ``FORMGEN.YAML`` is its folder's formgen.yaml: on Windows and macOS, whose file
    names ignore case, it is; on Linux it is read by nothing."""
    settings = file.parent / SETTINGS_FILE
    return settings.is_file() and settings.samefile(file)


def discover(paths: list[Path], formats: tuple[str, ...] | None) -> tuple[list[Source], list[list[Problem]]]:
    """Every project file under ``paths`` with its settings and fingerprint; missing paths are problems."""
    sources, problems = [], []
    for given in paths:
        if not given.exists():
            problems.append([Problem(display_path(given), None, "", "路径不存在")])
            continue
        root = given if given.is_dir() else given.parent
        settings_of: dict[Path, Settings | ProjectError] = {}  # formgen.yaml is read once a folder
        builtin = _folder_digest((BUILTIN_TEMPLATES, _WRITER_TEMPLATES))
        templates_of: dict[Path, str] = {}  # the digest of each folder's template chain
        for file in project_files(given):
            if file.is_symlink():  # it may lead anywhere: another unit's file, or outside the workspace
                problems.append([Problem(display_path(file), None, "", "是链接，不作项目读取：请放文件本身，而不是链接")])
                continue
            if file.name.casefold() == SETTINGS_FILE:  # spelled in capitals: settings, never a project
                if not _read_as_settings(file):
                    problems.append([Problem(display_path(file), None, "",
                                             f"设置文件须命名为 {SETTINGS_FILE}（全部小写），否则不会被读入")])
                continue
            if file.parent not in settings_of:
                try:
                    settings_of[file.parent] = read_settings(file.parent, root)
                except ProjectError as error:
                    settings_of[file.parent] = error
            settings = settings_of[file.parent]
            inherited = settings.files if isinstance(settings, Settings) else ()
            if file.parent not in templates_of:
                templates_of[file.parent] = _folder_digest(template_folders(file.parent, root))
            digest = hashlib.sha256()
            for part in (formgen_version(), ",".join(formats or ()), builtin, templates_of[file.parent]):
                digest.update(part.encode() + b"\0")
            try:  # a dangling link, a file deleted while we looked, no permission, a device, a huge file
                content = read_bytes(file)
                for data in (*(read_bytes(p) for p in inherited), content, _paired_declaration(file, content)):
                    digest.update(data + b"\0")
            except ProjectError as error:
                problems.append(error.problems)
                continue
            sources.append(Source(file, root, settings, digest.hexdigest(), given.is_dir()))
    return sources, problems


def _paired_declaration(file: Path, content: bytes) -> bytes:
    """The 申报表 a 自评表 is checked against: an input of its warnings, so part of its fingerprint
    (nothing when there is none, or it cannot be read: the check then says so)."""
    name = declaration_path(content.decode("utf-8", errors="replace"))
    try:
        return read_bytes(file.parent / name) if name else b""
    except ProjectError:
        return b""


def _folder_digest(folders: tuple[Path, ...]) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and not path.is_symlink():  # the templates loader refuses links
                    digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
