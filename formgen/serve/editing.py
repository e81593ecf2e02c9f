"""Changes made in the browser → the project file, keeping what the user wrote.

The browser edits plain data: the same values the loader reads (``load.yamlread``),
every scalar the exact text of the file. Saving does not dump that data afresh,
which would lose the user's comments, key order and quoting: the file is read
again with a round-trip YAML library (ruamel.yaml) and only what changed is
replaced in its tree, so that

* a subtree whose values did not change keeps its nodes, comments and style
  (and a file with no change at all is written back byte for byte);
* a key renamed in place (an indicator renamed) keeps its position and comments,
  but a ``# 待填写`` comment goes once its field is filled;
* a new or changed text is written plainly where YAML allows it (``400000.00``,
  ``≥2(人)``), quoted where it would read as something else (``'>15(篇)'``), and
  as a ``|`` block when it has several lines.

Every version of a file is named by a hash of its bytes: a save says which
version it was made from, so that an edit over a newer file is refused
(``Conflict``) instead of silently overwriting someone else's work.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import LiteralScalarString

from ..errors import ProjectError
from ..files import write_text_atomically
from ..load.rules import PLACEHOLDER
from ..load.yamlread import read_documents

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"


class Verbatim(str):
    """A text to be written as it is: plain when YAML reads it back as the same text."""


def _round_trip() -> YAML:
    yaml = YAML()
    yaml.width = 4096  # never fold a long text onto new lines
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)

    def represent_verbatim(representer, data):
        # Tagged the way YAML would read the plain text (float, date…), the emitter writes it
        # unquoted; our loader reads the text either way. Null stays a quoted text.
        tag = yaml.resolver.resolve(ScalarNode, str(data), (True, False))
        return representer.represent_scalar(_STR if tag == _NULL else tag, str(data))

    yaml.representer.add_representer(Verbatim, represent_verbatim)
    return yaml


def version_of(content: bytes) -> str:
    """The name of one version of a file: what a save says it was made from."""
    return hashlib.sha256(content).hexdigest()[:16]


class Conflict(Exception):
    """The file changed on disk after the browser read it."""

    def __init__(self, current: bytes):
        self.current = current
        super().__init__("文件已被修改")


def plain_data(text: str):
    """The single project of a file as the loader reads it, or None when the file holds several
    projects (``---``) or cannot be read: those are edited as YAML text."""
    try:
        documents = read_documents(text, "")
    except ProjectError:
        return None
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        return None
    return documents[0].data


def updated_text(text: str, data: dict) -> str:
    """The file's text with its single project replaced by ``data``, changing only what differs."""
    before = plain_data(text)
    if _same(before, data):
        return text
    yaml = _round_trip()
    try:
        tree = yaml.load(text) if before is not None else None
    except YAMLError:
        tree = None
    if not isinstance(tree, CommentedMap):  # nothing to keep: the file was broken or held several projects
        tree, before = CommentedMap(), {}
    tree = _merged(tree, before, data)
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _merged(node, before, after):
    """``node`` (read as ``before``) changed to hold ``after``, reusing whatever did not change."""
    if _same(before, after):
        return node
    if isinstance(after, dict) and isinstance(node, CommentedMap) and isinstance(before, dict):
        _merge_mapping(node, before, after)
        return node
    return _fresh(after)


def _same(a, b) -> bool:
    """Equal, keys in the same order: a reorder is a change (``==`` on dicts ignores order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _merge_mapping(node: CommentedMap, before: dict, after: dict) -> None:
    # A key gone where a new one appears at the same place is taken for a rename: the new key keeps
    # the old one's value nodes and comments. Keys are otherwise matched by name, so a reorder
    # moves nodes with their comments.
    gone = [key for key in before if key not in after]
    new = [key for key in after if key not in before]
    renamed_from = dict(zip(new, gone))
    items = []
    for key, value in after.items():
        old_key = key if key in before else renamed_from.get(key)
        if old_key is None or old_key not in node:
            items.append((key, _fresh(value), None))
        else:
            comment = node.ca.items.get(old_key)
            if comment is not None and before[old_key] in (None, "") and value not in (None, ""):
                comment = _without_placeholder(comment)
            items.append((key, _merged(node[old_key], before[old_key], value), comment))
    for key in list(node):
        del node[key]
    for key, value, comment in items:
        node[key] = value
        if comment is not None:
            node.ca.items[key] = comment


def _without_placeholder(comment: list) -> list:
    """A key's comments less a ``# 待填写`` after its value: the lines that follow it stay."""
    comment = list(comment)
    token = comment[2] if len(comment) > 2 else None
    if token is not None and PLACEHOLDER in token.value.split("\n", 1)[0]:
        rest = token.value.split("\n", 1)[1] if "\n" in token.value else ""
        if rest.strip():
            token.value = "\n" + rest
        else:
            comment[2] = None
    return comment


def _fresh(value):
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _fresh(item)
        return mapping
    if isinstance(value, list):
        return CommentedSeq(_fresh(item) for item in value)
    if value is None:
        return None
    text = str(value)
    return LiteralScalarString(text) if "\n" in text else Verbatim(text)


def save(path: Path, text: str, made_from: str | None) -> str:
    """Write ``text`` to ``path`` atomically, unless the file changed since version ``made_from``
    (None: the file must not exist yet). Returns the new version."""
    current = path.read_bytes() if path.exists() else None
    if (None if current is None else version_of(current)) != made_from:
        raise Conflict(current or b"")
    if current != text.encode():  # a save without a change leaves the file, its time and its outputs alone
        write_text_atomically(path, text)
    return version_of(text.encode())


def renamed_text(text: str, name: str) -> str:
    """The file with its 项目名称 changed (a file of several projects is left as it is)."""
    data = plain_data(text)
    if data is None or "项目名称" not in data:
        return text
    return updated_text(text, {**data, "项目名称": name})
