"""``formgen schema``: the project file described for editors (JSON Schema) and for people (field reference).

With the schema, VS Code's YAML extension completes the Chinese keys and flags a
wrong one while the officer types; the reference (``字段说明.md``, ``docs/fields.md``)
lists every field with how to write it. Both are generated from the model that
validates files, so none of them can drift from it. Fields a ``formgen.yaml`` may
supply are not required in the schema: the editor sees one file, not what it inherits.
"""

from __future__ import annotations

import json
import typing

from pydantic import BaseModel

from ..load import fields
from ..load.model import FORM_MODELS, INHERITABLE_FIELDS
from ..load.settings import WorkspaceKeys

SCHEMA_FILE = "formgen.schema.json"
REFERENCE_FILE = "字段说明.md"
_KIND_NAMES = {"申报表": "财政项目支出绩效目标申报表", "自评表": "财政项目支出绩效自评表",
               "目标表": "财政项目支出绩效目标表（2020 年版）"}


def project_schema() -> dict:
    """One branch a form kind, chosen by ``表单`` (if/then), so an editor's message points at the
    field that is wrong and not at an unrelated branch of an ``anyOf``."""
    definitions: dict = {}
    for kind, model in FORM_MODELS.items():
        schema = model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        definitions.update(schema.pop("$defs", {}))
        definitions[kind] = schema
    for name, definition in definitions.items():
        definition.pop("title", None)
        definition["description"] = _KIND_NAMES.get(name, definition.get("description", ""))
        for prop in definition.get("properties", {}).values():
            prop.pop("title", None)
        if "required" in definition:
            definition["required"] = [key for key in definition["required"] if key not in INHERITABLE_FIELDS]
    branches = [{"if": {"properties": {"表单": {"const": kind}}, "required": ["表单"]}, "then": {"$ref": f"#/$defs/{kind}"}}
                for kind in FORM_MODELS]
    inherited = {"if": {"not": {"required": ["表单"]}},  # 表单 from formgen.yaml: any kind may fit
                 "then": {"anyOf": [{"$ref": f"#/$defs/{kind}"} for kind in FORM_MODELS]}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "formgen 项目文件",
            "description": "财政项目支出绩效表单（申报表、自评表、目标表）的项目文件；字段见 字段说明.md",
            "type": "object", "properties": {"表单": {"enum": list(FORM_MODELS), "description": "表单种类"}},
            "allOf": branches + [inherited], "$defs": definitions}


def schema_text() -> str:
    return json.dumps(project_schema(), ensure_ascii=False, indent=2) + "\n"


# --- the field reference, for people ----------------------------------------------------------

_NAME = f"文本，最多 {fields.MAX_NAME_CHARACTERS} 字"
_WRITTEN_AS = {fields._money: "金额（元）", fields._points: "分数", fields._percent: "百分数", fields._date: "日期",
               fields._year: "年度", fields._text: "文本", fields.valid_name: _NAME, fields._required_name: _NAME,
               fields._period: "起止年度",
               fields._target_text: "指标值", fields._target: "指标值", fields.empty_as_mapping: "指标树"}


def field_reference() -> str:
    """Every field of every form kind and of formgen.yaml, as Markdown in Chinese."""
    lines = ["# 项目文件字段说明", "",
             "由 `formgen schema --reference` 依据 formgen 的校验模型生成，与 formgen 的检查一致。",
             "字段名就是表上的中文标签；“必填”中的 ○ 表示可以在 formgen.yaml 中统一写。", ""]
    for kind, model in FORM_MODELS.items():
        lines += [f"## {kind}：{_KIND_NAMES[kind]}", "", "| 字段 | 必填 | 写法 | 说明 |", "| --- | --- | --- | --- |"]
        lines += _rows(model, "")
        lines.append("")
    lines += ["## formgen.yaml", "",
              f"可写上面任一表单的这些字段，作为其下所有项目的默认值：{'、'.join(INHERITABLE_FIELDS)}。此外：", "",
              "| 字段 | 说明 |", "| --- | --- |"]
    lines += [f"| {field.alias} | {field.description} |" for field in WorkspaceKeys.model_fields.values()]
    return "\n".join(lines) + "\n"


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for field in model.model_fields.values():
        key = f"{prefix}{field.alias}"
        nested = nested_model(field.annotation)
        if field.is_required():
            required = "○" if field.alias in INHERITABLE_FIELDS else "是"
        else:
            required = ""
        literal = typing.get_args(field.annotation) if typing.get_origin(field.annotation) is typing.Literal else ()
        written = (f"固定为 {literal[0]}" if literal else "映射，见下" if nested else
                   next((_WRITTEN_AS[m.func] for m in field.metadata if getattr(m, "func", None) in _WRITTEN_AS), "文本"))
        if typing.get_args(field.annotation) and set(typing.get_args(field.annotation)) - {type(None)} == {"是", "否"}:
            written = "是 或 否"
        description = (field.description or "").replace("|", "\\|")  # a bar would end the table cell
        rows.append(f"| {key} | {required} | {written} | {description} |")
        if nested:
            rows += _rows(nested, f"{key}.")
        leaf = tree_leaf(field.annotation)
        if leaf is not None:  # a 自评表's indicators: what each 三级 holds
            rows += _rows(leaf, f"{key}.一级.二级.三级.")
    return rows


def nested_model(annotation) -> type[BaseModel] | None:
    """The model a field holds (``项目资金``), also when it is optional."""
    return next((t for t in (annotation, *typing.get_args(annotation))
                 if isinstance(t, type) and issubclass(t, BaseModel)), None)


def tree_leaf(annotation) -> type[BaseModel] | None:
    """The model at the bottom of a dict-of-dicts (the 自评表's Evaluation), if any."""
    levels = 0
    while typing.get_origin(annotation) in (dict, typing.Annotated):
        levels += typing.get_origin(annotation) is dict
        annotation = typing.get_args(annotation)[-1 if typing.get_origin(annotation) is dict else 0]
    model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return model if levels else None
