"""``formgen.yaml``: the defaults and workspace settings of a folder, merged down the folder chain.

Each folder on the way from the workspace root to a project file may hold a
``formgen.yaml``. Its project fields (``表单``, ``年度``, ``主管部门``…) are defaults
for every project below it; its workspace keys (``汇总表标题``, ``顺序``, ``格式``)
are checked by a model of the same kind as the project files'. The nearest folder
wins, and a project's own value wins over all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from ..errors import Problem, ProjectError
from ..files import display_path
from ..writers import FORMATS, parse_formats
from .fields import valid_name
from .model import INHERITABLE_FIELDS
from .yamlread import read_documents, read_text

SETTINGS_FILE = "formgen.yaml"


@dataclass
class Settings:
    """What the ``formgen.yaml`` files above a project say, each default with its origin."""

    defaults: dict[str, object] = field(default_factory=dict)
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)
    compilation_title: str | None = None
    compilation_folder: Path | None = None  # the folder whose formgen.yaml names the 汇总表
    order: tuple[str, ...] = ()  # project names first in the 汇总表, in this order
    formats: tuple[str, ...] = FORMATS
    files: tuple[Path, ...] = ()


def _title(value: object) -> str:
    """The 汇总表's title, also its file name: a name like a project's (see ``fields.valid_name``)."""
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError("title", "应为文本，如 上海市某单位2023年度项目绩效目标汇总表", {})
    return valid_name(value.strip())


def _order(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PydanticCustomError("order", "应为项目名称的列表，如 [课题研究, 城管执法应急保障]", {})
    return tuple(value)


def _formats(value: object) -> tuple[str, ...]:
    formats = parse_formats(value)
    if formats is None:
        raise PydanticCustomError("formats", "应为 {known} 中的一个或多个，实际为 {value}",
                                  {"known": "、".join(FORMATS), "value": repr(value)})
    return formats


class WorkspaceKeys(BaseModel):
    """The keys of ``formgen.yaml`` that are about the folder, not about each project."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    compilation_title: Annotated[str, BeforeValidator(_title)] = Field(
        None, alias="汇总表标题", description="写了则生成本目录全部表单的汇总表，文件名即标题")
    order: Annotated[tuple[str, ...], BeforeValidator(_order)] = Field(
        None, alias="顺序", description="汇总表中的顺序，项目名称的列表，如 [课题研究, 城管执法应急保障]；未列出的排在后面")
    formats: Annotated[tuple[str, ...], BeforeValidator(_formats)] = Field(
        None, alias="格式", description="默认生成的格式，docx、xlsx、pdf 的列表，如 [docx, pdf]")


_KNOWN_KEYS = "、".join(INHERITABLE_FIELDS + tuple(f.alias for f in WorkspaceKeys.model_fields.values()))


def merged(outer: object, inner: object) -> object:
    """A nearer value over an outer one; two mappings (措辞) merge key by key, the nearer winning."""
    if isinstance(outer, dict) and isinstance(inner, dict):
        return {**outer, **inner}
    return inner


def read_settings(folder: Path, root: Path, edited: dict[Path, str] | None = None) -> Settings:
    """Merge the ``formgen.yaml`` files from ``root`` down to ``folder``; nearer ones win. ``edited``
    gives texts to read instead of files (an edit not saved yet: ``formgen serve`` checks it)."""
    edited = edited or {}
    folders = [folder]
    while folders[-1] != root and root in folders[-1].parents:
        folders.append(folders[-1].parent)
    settings = Settings()
    for current in reversed(folders):
        path = current / SETTINGS_FILE
        if path not in edited and path.is_symlink():  # it may lead anywhere: another unit's settings, any file
            raise ProjectError([Problem(display_path(path), None, "", "是链接，不作设置读取：请放文件本身，而不是链接")])
        if path in edited or path.is_file():
            _apply(settings, path, edited.get(path))
    return settings


def _apply(settings: Settings, path: Path, text: str | None = None) -> None:
    name = display_path(path)
    documents = read_documents(read_text(path) if text is None else text, name)
    if not documents:
        return
    doc = documents[0]
    if not isinstance(doc.data, dict):
        raise ProjectError([Problem(name, doc.line, "", "formgen.yaml 应为 键: 值 的映射")])
    workspace_keys = {key: value for key, value in doc.data.items() if key not in INHERITABLE_FIELDS}
    try:
        keys = WorkspaceKeys.model_validate(workspace_keys)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = str(error["loc"][0])
            message = (f"formgen.yaml 不认识此字段，可用：{_KNOWN_KEYS}" if error["type"] == "extra_forbidden"
                       else error["msg"])
            problems.append(Problem(name, doc.line_of((key,)), key, message))
        raise ProjectError(problems) from None
    for key, value in doc.data.items():
        if key in INHERITABLE_FIELDS:
            settings.defaults[key] = merged(settings.defaults.get(key), value)
            settings.origins[key] = (name, doc.line_of((key,)))
    if keys.compilation_title is not None:
        settings.compilation_title, settings.compilation_folder = keys.compilation_title, path.parent
    if keys.order is not None:
        settings.order = keys.order
    if keys.formats is not None:
        settings.formats = keys.formats
    settings.files += (path,)
