"""Project files → validated projects, with defaults inherited from ``formgen.yaml``.

A project file holds one project or several separated by ``---``. Each is typed
by the model of its form kind (``model``), then checked as a whole (``rules``);
defaults come from the ``formgen.yaml`` chain above it (``settings``).

Problems are collected, not raised one by one: a user fixing a file wants the
whole list at once, each with its file, line and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from ..errors import Problem, ProjectError
from ..files import display_path
from .messages import validation_message
from .pairing import check_against_declaration
from .model import FORM_MODELS
from .rules import check
from .settings import Settings, merged
from .yamlread import Document, read_documents, read_text


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


def load_file(path: Path, settings: Settings) -> list[LoadedProject | ProjectError]:
    """Every project of one file; a bad document is an error in the list, not a stop."""
    try:
        documents = read_documents(read_text(path), display_path(path))
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
    if not isinstance(document.data, dict):
        raise ProjectError([Problem(display_path(path), document.line, "", "项目应为 键: 值 的映射")])
    data = {**settings.defaults, **{key: merged(settings.defaults.get(key), value) for key, value in document.data.items()}}
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
        raise ProjectError([loaded.problem(tuple(str(part) for part in error["loc"]),
                                           validation_message(model, error, document.flow_mappings, data))
                            for error in exc.errors()]) from None
    problems = check(loaded) + check_against_declaration(loaded) if apply_rules else []
    errors = [p for p in problems if p.is_error]
    if errors:
        raise ProjectError(errors)
    loaded.warnings = problems
    return loaded
