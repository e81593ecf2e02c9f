"""The editor's form for a form kind, described from the model the loader validates with.

The browser builds its inputs from this description, so a field added to the model
appears in the editor with its Chinese label and help text, and the editor can
never offer a field the checks would refuse.
"""

from __future__ import annotations

import typing

from pydantic import BaseModel

from ..commands.schema import nested_model, tree_leaf
from ..load.model import FORM_MODELS, INHERITABLE_FIELDS
from ..load.rules import CATALOGUE, TARGET_TABLE_CATALOGUE
from ..load.scoring import VERDICT_BANDS

# Texts that are paragraphs, not one line: a text area each.
LONG_TEXTS = {"项目总目标", "年度总体目标", "预期目标", "实际完成情况", "项目概况", "立项依据", "项目设立的必要性",
              "保证项目实施的制度、措施", "项目实施计划", "总目标及阶段性目标", "偏差原因分析及改进措施"}
# Edited in the YAML tab only: a unit's own wording is a mapping of labels, rarely set per project.
_YAML_ONLY = {"措辞"}
_PRINTING = {"日期格式", "金额小数位"}  # how the form is printed: after what it says


def form_description(kind: str) -> list[dict]:
    """The fields of ``kind`` in the order of the form, how it is printed last: ``{key, help, type,
    …}``, where type is text | long | choice | group (with ``fields``) | tree (with ``leaf``: the
    三级's fields, or None when a 三级 holds only its 指标值, and ``catalogue``: the usual 一级 → 二级
    names, offered as the names are typed)."""
    fields = described_fields(FORM_MODELS[kind])
    return [f for f in fields if f["key"] not in _PRINTING] + [f for f in fields if f["key"] in _PRINTING]


def described_fields(model: type[BaseModel]) -> list[dict]:
    described = []
    for field in model.model_fields.values():
        key = field.alias
        if key in _YAML_ONLY:
            continue
        entry = {"key": key, "help": field.description or "", "required": field.is_required(),
                 "inheritable": key in INHERITABLE_FIELDS}
        nested = nested_model(field.annotation)
        choices = _literal_choices(field.annotation)
        if key in ("绩效指标", "绩效目标"):
            leaf = tree_leaf(field.annotation)
            entry.update(type="tree", leaf=described_fields(leaf) if leaf else None, catalogue=_catalogue(key))
        elif nested is not None:
            entry.update(type="group", fields=described_fields(nested))
        elif choices:
            entry.update(type="choice", choices=choices)
        else:
            entry["type"] = "long" if key in LONG_TEXTS else "text"
            if key == "实际完成值":
                entry["suggestions"] = list(VERDICT_BANDS)  # or a measured value such as 7.00(次)
        described.append(entry)
    return described


def _literal_choices(annotation) -> list[str]:
    for candidate in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(candidate) is typing.Literal:
            return [str(c) for c in typing.get_args(candidate)]
    return []


def _catalogue(key: str) -> dict[str, list[str]]:
    """The 一级 → 二级 names of every layout year (the 目标表's own for its 绩效目标)."""
    if key == "绩效目标":
        return {level1: list(level2s) for level1, level2s in TARGET_TABLE_CATALOGUE.items()}
    names: dict[str, list[str]] = {}
    for year in sorted(CATALOGUE):
        for level1, level2s in CATALOGUE[year].items():
            names.setdefault(level1, [])
            names[level1] += [name for name in level2s if name not in names[level1]]
    return names
