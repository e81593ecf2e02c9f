"""``formgen schema``: a JSON Schema of the project file, for editors.

With it, VS Code's YAML extension completes the Chinese keys and flags a wrong one
while the officer types. It is generated from the same model that validates
files, so the two cannot drift apart. Fields a ``formgen.yaml`` may supply are not
required here: the editor sees one file, not what it inherits.
"""

from __future__ import annotations

import json
from typing import Union

from pydantic import TypeAdapter

from ..load.model import FORM_MODELS, INHERITABLE_FIELDS

SCHEMA_FILE = "formgen.schema.json"


def project_schema() -> dict:
    kinds = tuple(FORM_MODELS.values())
    schema = TypeAdapter(Union[kinds]).json_schema(by_alias=True)  # type: ignore[valid-type]
    for definition in schema.get("$defs", {}).values():
        if "required" in definition:
            definition["required"] = [key for key in definition["required"] if key not in INHERITABLE_FIELDS]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "formgen 项目文件",
            "description": "财政项目支出绩效表单（申报表、自评表）的项目文件，见 YAML.md", **schema}


def schema_text() -> str:
    return json.dumps(project_schema(), ensure_ascii=False, indent=2) + "\n"
