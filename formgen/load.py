"""Project files → validated projects, with defaults inherited from ``formgen.yaml``.

A project file holds one project or several separated by ``---``. Each folder on
the way from the workspace root to the file may hold a ``formgen.yaml`` whose
values are defaults for every project below it; the nearest folder wins and a
project's own value wins over all of them.

Problems are collected, not raised one by one: a user fixing a file wants the
whole list at once, each with its file, line and field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .errors import Problem, ProjectError
from .model import FORM_MODELS, INHERITABLE_FIELDS
from .yamlread import Document, read_documents

SETTINGS_FILE = "formgen.yaml"
FORMATS = ("docx", "xlsx", "pdf")
_WORKSPACE_KEYS = ("汇总表标题", "顺序", "格式")


def display_path(path: Path) -> str:
    """A path as the user should read it: relative to the current folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


@dataclass
class Settings:
    """What the ``formgen.yaml`` files above a project say, each value with its origin."""

    defaults: dict[str, object] = field(default_factory=dict)
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)
    summary_title: str | None = None
    summary_folder: Path | None = None  # the folder whose formgen.yaml names the 汇总表
    order: tuple[str, ...] = ()  # project names first in the 汇总表, in this order
    formats: tuple[str, ...] = FORMATS
    files: tuple[Path, ...] = ()


@dataclass
class LoadedProject:
    """A validated project, with what is needed to point back into its file."""

    project: BaseModel
    file: Path
    document: Document
    settings: Settings
    warnings: list[Problem] = field(default_factory=list)

    def where(self, path: tuple[str, ...]) -> tuple[str, int]:
        """File and line of a field, following it into formgen.yaml when inherited."""
        if path and path[0] not in self.document.data and path[0] in self.settings.origins:
            return self.settings.origins[path[0]]
        return display_path(self.file), self.document.line_of(path)

    def problem(self, path: tuple[str, ...], message: str, level: str = "error") -> Problem:
        file, line = self.where(path)
        return Problem(file, line, ".".join(path), message, level)


def read_settings(folder: Path, root: Path) -> Settings:
    """Merge the ``formgen.yaml`` files from ``root`` down to ``folder``; nearer ones win."""
    folders = [folder]
    while folders[-1] != root and root in folders[-1].parents:
        folders.append(folders[-1].parent)
    settings = Settings()
    for current in reversed(folders):
        path = current / SETTINGS_FILE
        if path.is_file():
            _apply_settings_file(settings, path)
    return settings


def _apply_settings_file(settings: Settings, path: Path) -> None:
    name = display_path(path)
    documents = read_documents(_read_text(path), name)
    if not documents:
        return
    doc = documents[0]
    if not isinstance(doc.data, dict):
        raise ProjectError([Problem(name, doc.line, "", "formgen.yaml 应为 键: 值 的映射")])
    problems = []
    for key, value in doc.data.items():
        line = doc.line_of((key,))
        if key in INHERITABLE_FIELDS:
            settings.defaults[key] = value
            settings.origins[key] = (name, line)
        elif key == "汇总表标题":
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(name, line, key, "应为文本，如 上海市某单位2023年度项目绩效目标汇总表"))
            else:
                settings.summary_title, settings.summary_folder = value.strip(), path.parent
        elif key == "顺序":
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                problems.append(Problem(name, line, key, "应为项目名称的列表，如 [课题研究, 城管执法应急保障]"))
            else:
                settings.order = tuple(value)
        elif key == "格式":
            formats = parse_formats(value)
            if formats is None:
                problems.append(Problem(name, line, key, f"应为 {'、'.join(FORMATS)} 中的一个或多个，实际为 {value!r}"))
            else:
                settings.formats = formats
        else:
            allowed = "、".join(INHERITABLE_FIELDS + _WORKSPACE_KEYS)
            problems.append(Problem(name, line, key, f"formgen.yaml 不认识此字段，可用：{allowed}"))
    if problems:
        raise ProjectError(problems)
    settings.files += (path,)


def parse_formats(value: object) -> tuple[str, ...] | None:
    """``docx,pdf`` or ``[docx, pdf]`` (full-width commas too) as formats; None if any is unknown."""
    items = value if isinstance(value, list) else str(value or "").replace("，", ",").split(",")
    formats = tuple(str(item).strip().lower() for item in items if str(item).strip())
    if not formats or any(f not in FORMATS for f in formats):
        return None
    return formats


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectError([Problem(display_path(path), None, "", "文件不是 UTF-8 编码，请另存为 UTF-8")]) from None
    except OSError as exc:
        raise ProjectError([Problem(display_path(path), None, "", f"无法读取文件：{exc.strerror}")]) from None


def load_file(path: Path, settings: Settings) -> list[LoadedProject | ProjectError]:
    """Every project of one file; a bad document is an error in the list, not a stop."""
    try:
        documents = read_documents(_read_text(path), display_path(path))
    except ProjectError as error:
        return [error]
    if not documents:
        return [ProjectError([Problem(display_path(path), None, "", "文件中没有项目")])]
    results: list[LoadedProject | ProjectError] = []
    for document in documents:
        try:
            results.append(load_document(document, path, settings))
        except ProjectError as error:
            results.append(error)
    return results


def load_document(document: Document, path: Path, settings: Settings, apply_rules: bool = True) -> LoadedProject:
    """Validate one YAML document as a project: its fields, then (``apply_rules``) ``rules.check``."""
    from .rules import check  # rules need the model; keep the import graph one-way

    if not isinstance(document.data, dict):
        raise ProjectError([Problem(display_path(path), document.line, "", "项目应为 键: 值 的映射")])
    data = {**settings.defaults, **document.data}
    loaded = LoadedProject(None, path, document, settings)  # type: ignore[arg-type]
    form = data.get("表单")
    model = FORM_MODELS.get(form) if isinstance(form, str) else None
    if model is None:
        known = "、".join(FORM_MODELS)
        message = "缺少 表单 字段" if form is None else f"应为 {known} 之一，实际为 {form!r}"
        raise ProjectError([loaded.problem(("表单",), message)])
    try:
        loaded.project = model.model_validate(data)
    except ValidationError as exc:
        raise ProjectError([_problem(loaded, error) for error in exc.errors()]) from None
    problems = check(loaded) if apply_rules else []
    errors = [p for p in problems if p.is_error]
    if errors:
        raise ProjectError(errors)
    loaded.warnings = problems
    return loaded


_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段，请检查拼写（字段名见 YAML.md）",
    "dict_type": "应为 键: 值 的映射",
    "model_type": "应为 键: 值 的映射",
    "model_attributes_type": "应为 键: 值 的映射",
    "string_type": "应为文本",
}


def _problem(loaded: LoadedProject, error: dict) -> Problem:
    path = tuple(str(part) for part in error["loc"])
    if error["input"] is None and error["type"] != "missing":
        return loaded.problem(path, "不能为空，请填写")
    message = _MESSAGES.get(error["type"])
    if message is None:
        message = error["msg"].removeprefix("Value error, ")
    return loaded.problem(path, message)
