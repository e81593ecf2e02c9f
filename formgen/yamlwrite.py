"""Data → the YAML text of a project file: keys in order, block style, every value read back as written.

The one YAML writer of formgen, used by ``new``, ``import`` and ``init``. It emits
from data and never parses its own output: each scalar is written plain only when
YAML would read it back as the same text, and quoted otherwise. What a file needs
beyond plain data is said with two wrappers:

* :class:`Block`: a long text, written as a literal block (``|``) kept line for line;
* :class:`Commented`: a value with a comment after it (``全年执行数:  # 待填写``).

Mappings are ``dict`` (in their order), sequences ``list`` of texts (written in flow style,
``[a, b]``), amounts ``Decimal``, and ``None`` is a key left empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import yaml

_INDENT = "  "


class Block(str):
    """A text written as a literal block, so that it reads and edits line by line."""


@dataclass(frozen=True)
class Commented:
    """A value followed by a comment on its line."""

    value: object
    comment: str


def scalar(text: str, in_flow: bool = False) -> str:
    """A one-line YAML scalar that formgen reads back as exactly ``text``: plain where YAML reads
    it so (inside ``[…]`` too, with ``in_flow``), else double-quoted."""
    probe, expected = (f"k: [{text}]", {"k": [text]}) if in_flow else (f"k: {text}", {"k": text})
    try:
        plain_ok = yaml.safe_load(probe) == expected
    except yaml.YAMLError:
        plain_ok = False
    return text if plain_ok and text.strip() == text and text else json.dumps(text, ensure_ascii=False)


def dump(data: dict, header: list[str] = (), footer: list[str] = ()) -> str:
    """One YAML document: ``header`` comment lines, the mapping ``data``, ``footer`` comment lines."""
    lines = [f"# {line}" if line else "#" for line in header]
    lines += _mapping(data, 0)
    lines += [f"# {line}" for line in footer]
    return "\n".join(lines) + "\n"


def _mapping(data: dict, depth: int) -> list[str]:
    lines = []
    for key, value in data.items():
        comment = ""
        if isinstance(value, Commented):
            value, comment = value.value, f"  # {value.comment}"
        pad = _INDENT * depth
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{scalar(str(key))}:{comment}")
            lines += _mapping(value, depth + 1)
        elif isinstance(value, Block) and _fits_block(value):
            lines.append(f"{pad}{scalar(str(key))}: |{comment}")
            lines += [f"{pad}{_INDENT}{line}" if line else "" for line in value.split("\n")]
        else:
            shown = _inline(value)
            lines.append(f"{pad}{scalar(str(key))}:{' ' + shown if shown else ''}{comment}")
    return lines


def _fits_block(text: str) -> bool:
    """Whether a literal block holds ``text`` exactly: not empty, no leading blank, no trailing
    line break or carriage return, which a block would change."""
    return bool(text) and not text[0].isspace() and not text.endswith("\n") and "\r" not in text


def _inline(value, in_flow: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item, in_flow=True) for item in value) + "]"
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return str(value)
    return scalar(str(value), in_flow)


def as_read(data):
    """The values formgen's reader gives for ``dump(data)``: texts (a block with its final line
    break), mappings and lists, ``None`` for empty; so data can be validated as a project
    without writing and reading it back."""
    if isinstance(data, Commented):
        return as_read(data.value)
    if isinstance(data, dict):
        return {str(key): as_read(value) for key, value in data.items()}
    if isinstance(data, list):
        return [as_read(item) for item in data]
    if data is None:
        return None
    if isinstance(data, Block) and _fits_block(data):
        return str(data) + "\n"
    return str(data)
