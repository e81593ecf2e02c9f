"""YAML text → plain values, keeping the line of every field.

We compose the YAML node tree ourselves instead of letting PyYAML construct
Python objects, for three reasons:

* every scalar stays the text the user wrote (``=7.00(个)``, ``120``, ``100.00``):
  YAML's own typing would turn ``100.00`` into a float and lose its zeros;
  fields are typed later, by the model, from that exact text;
* a key repeated in one mapping is an error, never a silent overwrite;
* each value remembers its line, so errors can say ``file:line: field``.

A project file is small and flat, so what no form needs is refused with a message
rather than worked through: anchors and aliases (``&a`` / ``*a``, which can make a
few lines expand to gigabytes), nesting deeper than a form's, files over 2 MB.

A scalar becomes ``str`` (or ``None`` when YAML reads it as null), a mapping
becomes ``dict`` (in file order), a sequence becomes ``list``.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import Problem, ProjectError
from ..files import display_path, os_reason
from .messages import QUOTE_HINT, syntax_problem

FieldPath = tuple[str, ...]  # keys from the document root down to a field

# A block scalar header with an explicit indentation digit (`>4`, `|2-`) is
# legal YAML but in a form it is always a value like `>4(次)` left unquoted.
_BLOCK_HEADER_WITH_DIGIT = re.compile(r"[>|][+-]?[1-9]")


@dataclass
class Document:
    """One YAML document: its data and where each field of it was written."""

    file: str
    data: object
    line: int  # line where the document starts
    lines: dict[FieldPath, int] = field(default_factory=dict)
    flow_mappings: set[FieldPath] = field(default_factory=set)  # written as {…}: a comma there splits a text

    def line_of(self, path: FieldPath) -> int:
        """The line of ``path``, or of its nearest written ancestor."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.line


MAX_FILE_CHARACTERS = 2_000_000
MAX_FILE_BYTES = 4 * MAX_FILE_CHARACTERS + 3  # UTF-8 takes at most 4 bytes a character, a BOM 3
MAX_DEPTH = 12  # a 自评表 indicator is 5 levels deep; formgen.yaml lists 2


class _Refused(yaml.MarkedYAMLError):
    """What formgen refuses though YAML allows it; ``problem`` says which."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases and deep nesting before anything is built."""

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise _Refused(None, None, "alias", self.peek_event().start_mark)
        if self.depth > MAX_DEPTH:
            raise _Refused(None, None, "depth", self.peek_event().start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def read_documents(text: str, file: str) -> list[Document]:
    """Every non-empty document of a YAML text, or a ProjectError saying where it breaks."""
    if len(text) > MAX_FILE_CHARACTERS:
        raise ProjectError([Problem(file, None, "", f"文件过大（{len(text):,} 字），项目文件最多 {MAX_FILE_CHARACTERS:,} 字")])
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except _Refused as exc:
        message = ("不支持 YAML 的锚点和别名（&名称、*名称），请直接写出内容" if exc.problem == "alias"
                   else f"层级过深（超过 {MAX_DEPTH} 层），请检查缩进")
        raise ProjectError([Problem(file, exc.problem_mark.line + 1, "", message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise ProjectError([syntax_problem(exc, text, file)]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as a control character
        line = text.count("\n", 0, exc.position) + 1
        raise ProjectError([Problem(file, line, "", f"有不可见的控制字符（U+{exc.character:04X}），请删除")]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise ProjectError([Problem(file, None, "", f"YAML 无法读取：{exc}")]) from None
    documents = []
    for node in nodes:
        if node is None:
            continue
        doc = Document(file, None, node.start_mark.line + 1)
        problems: list[Problem] = []
        doc.data = _plain(node, (), doc, text, problems)
        if problems:
            raise ProjectError(problems)
        documents.append(doc)
    return documents


def _plain(node, path: FieldPath, doc: Document, text: str, problems: list[Problem]):
    doc.lines.setdefault(path, node.start_mark.line + 1)
    where = ".".join(path)
    if node.tag and node.tag.startswith("!"):
        problems.append(Problem(doc.file, node.start_mark.line + 1, where, QUOTE_HINT))
        return None
    if isinstance(node, yaml.ScalarNode):
        if node.style in (">", "|"):
            header = text[node.start_mark.index : node.start_mark.index + 3]
            if _BLOCK_HEADER_WITH_DIGIT.match(header):
                problems.append(Problem(doc.file, node.start_mark.line + 1, where, QUOTE_HINT))
                return None
        if node.style is None and node.tag == "tag:yaml.org,2002:null":
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, path + (str(i + 1),), doc, text, problems) for i, item in enumerate(node.value)]
    if node.flow_style:
        doc.flow_mappings.add(path)
    result: dict[str, object] = {}
    first_line: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(Problem(doc.file, line, where, "键必须是文本"))
            continue
        key = key_node.value.strip()
        if key in result:
            problems.append(
                Problem(doc.file, line, ".".join(path + (key,)),
                        f"键重复（第 {first_line[key]} 行已有同名键），请删除或改名")
            )
            continue
        first_line[key] = line
        doc.lines[path + (key,)] = line
        result[key] = _plain(value_node, path + (key,), doc, text, problems)
    return result


def read_bytes(path: Path) -> bytes:
    """The bytes of a project or settings file, read only when it is a regular file that may hold
    at most ``MAX_FILE_CHARACTERS``: a device, a pipe or a huge file is a ProjectError at once."""
    def refused(message: str) -> ProjectError:
        return ProjectError([Problem(display_path(path), None, "", message)])

    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise refused("不是普通文件（而是目录、设备或管道），不能作为项目文件读入")
        if status.st_size > MAX_FILE_BYTES:
            raise refused(f"文件过大（{status.st_size / 2**20:,.0f} MB），项目文件最多 {MAX_FILE_CHARACTERS:,} 字")
        with open(path, "rb") as file:
            return file.read(MAX_FILE_BYTES + 1)  # not more, should it grow meanwhile
    except OSError as exc:
        raise refused(f"无法读取文件：{os_reason(exc)}") from None


def read_text(path: Path) -> str:
    """A file's text, a byte-order mark dropped; an unreadable file is a ProjectError."""
    try:
        return read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectError([Problem(display_path(path), None, "", "文件不是 UTF-8 编码，请另存为 UTF-8")]) from None
