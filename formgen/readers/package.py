"""An OOXML package (XLSX, DOCX) checked before a library opens it, and XML read without DTDs.

The 20 MB bound on a file says little about a ZIP: a sheet of a few KB can unpack to
gigabytes. zipfile never inflates a member beyond the size the ZIP declares for it (it
stops there and checks the CRC), so the declared sizes bound all later work. The Open
Packaging Conventions (ECMA-376 Part 2) forbid DTD declarations in a package's XML, and
no form needs one: a DOCTYPE means a broken or hostile file (billion laughs, external
entities), refused before any parser expands it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.parsers import expat

from . import ReadError

MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # pictures included
MAX_XML_BYTES = 32 * 1024 * 1024  # what the XML parsers read: some 15 times a 30-form 汇总表
MAX_MEMBERS = 10_000


def check(path: Path, package: zipfile.ZipFile) -> None:
    """Refuse a package that unpacks too large or holds XML with a DTD."""
    members = package.infolist()
    if len(members) > MAX_MEMBERS:
        raise ReadError(f"{path}：压缩包内有 {len(members):,} 个文件，不是正常的表单文件")
    xml = [m for m in members if m.filename.endswith((".xml", ".rels", ".vml"))]
    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES or sum(m.file_size for m in xml) > MAX_XML_BYTES:
        total = sum(m.file_size for m in members) / 1024 / 1024
        raise ReadError(f"{path}：解压后过大（{total:,.0f} MB），可导入的表单文件解压后最多 "
                        f"{MAX_UNPACKED_BYTES // 1024 // 1024} MB、其中 XML 最多 {MAX_XML_BYTES // 1024 // 1024} MB")
    for member in xml:
        with package.open(member) as stream:
            refuse_dtd(stream, f"{path} 中的 {member.filename}")


class _Prolog(Exception):
    """Raised by the parser at the root element: the prolog, where a DTD would be, is over."""


def refuse_dtd(stream, where: str) -> None:
    """Read an XML stream up to its root element; a DOCTYPE or an entity declaration is refused."""
    parser = expat.ParserCreate()

    def dtd(*args):
        raise ReadError(f"{where}：含有 DTD 或实体声明（<!DOCTYPE>、<!ENTITY>），不是正常的表单文件，未导入")

    def root(*args):
        raise _Prolog

    parser.StartDoctypeDeclHandler = dtd
    parser.EntityDeclHandler = dtd
    parser.StartElementHandler = root
    try:
        while chunk := stream.read(65536):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Prolog:
        return
    except expat.ExpatError as error:
        raise ReadError(f"{where}：XML 已损坏（{error}）") from None
