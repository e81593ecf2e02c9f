"""What a file is, by its content: a name says little.

Budget systems save HTML tables or SpreadsheetML XML under ``.xls``, WPS saves Word and
Excel formats under ``.wps`` and ``.et``, and an Excel 97-2003 workbook, a Word 97-2003
document and a password-protected ``.xlsx`` are all OLE containers. :func:`identify` looks
inside and names the reader (a module of this package) that takes the file, or says in
Chinese why none does.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import ReadError

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# What an office suite opens and LibreOffice converts: to DOCX for documents, XLSX for workbooks.
OFFICE_SUFFIXES = {".doc": "docx", ".dot": "docx", ".wps": "docx", ".wpt": "docx", ".rtf": "docx", ".odt": "docx",
                   ".xls": "xlsx", ".xlt": "xlsx", ".et": "xlsx", ".ett": "xlsx", ".ods": "xlsx", ".xlsb": "xlsx"}
SUPPORTED = "XLSX、XLS、DOCX、DOC、WPS、ET、PDF"
# The names of the files the readers take (what a file is, they tell by its content; a browser's
# file picker and ``formgen serve``'s upload go by these): the formats above, what an office suite
# converts, and the HTML and XML tables budget systems save.
IMPORT_SUFFIXES = (".xlsx", ".docx", ".pdf", *OFFICE_SUFFIXES, ".htm", ".html", ".xml")


@dataclass(frozen=True)
class Kind:
    """How a file is read: by ``reader`` (a module of this package); ``description`` is what a
    user calls the file; ``convert_to`` the format an office suite converts it to first."""

    reader: str
    description: str
    convert_to: str = ""


def identify(path: Path, head: bytes) -> Kind:
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(path)
    if b"%PDF-" in head[:1024]:
        return Kind("pdf", "PDF 文件")
    text = _text_head(head).lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in text or 'progid="excel.sheet"' in text:
        return Kind("spreadsheetml", "Excel 2003 XML 表格")
    if "urn:schemas-microsoft-com:office:word" in text and "<w:worddocument" in text:
        return Kind("office", "Word 2003 XML 文档", "docx")
    if "<html" in text or "<table" in text:
        return Kind("html", "网页格式的表格（HTML）")
    if text.startswith("{\\rtf"):
        return Kind("office", "RTF 文档", "docx")
    target = OFFICE_SUFFIXES.get(path.suffix.lower())
    if target:  # a format only an office suite knows (old WPS files among them): LibreOffice may open it
        return Kind("office", f"{path.suffix.lower()} 文件", target)
    raise ReadError(f"{path}：不是可导入的表单文件（可导入 {SUPPORTED}）")


def _text_head(head: bytes) -> str:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(encoding, "ignore").lstrip()
    return head.decode("latin-1").lstrip()  # the ASCII markers are all that is looked for


def _zip_kind(path: Path) -> Kind:
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            mimetype = package.read("mimetype")[:100].decode("ascii", "ignore") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ReadError(f"{path}：文件已损坏，无法打开（{error}）") from None
    if "xl/workbook.xml" in names:
        return Kind("xlsx", "Excel 工作簿（.xlsx）")
    if "word/document.xml" in names:
        return Kind("docx", "Word 文档（.docx）")
    if "opendocument.text" in mimetype:
        return Kind("office", "OpenDocument 文档（.odt）", "docx")
    if "opendocument.spreadsheet" in mimetype:
        return Kind("office", "OpenDocument 表格（.ods）", "xlsx")
    if "xl/workbook.bin" in names:
        return Kind("office", "Excel 二进制工作簿（.xlsb）", "xlsx")
    if any(name.startswith("ppt/") for name in names):
        raise ReadError(f"{path}：是 PowerPoint 演示文稿，不是表单；请导入 Excel、Word 或 PDF 格式的表单")
    raise ReadError(f"{path}：是 ZIP 压缩包，不是表单文件（可导入 {SUPPORTED}）")


# Streams that tell what an OLE container (Microsoft's compound file) holds.
_OLE_KINDS = [
    ("PowerPoint Document", "PowerPoint 97-2003 演示文稿"),
    ("__properties_version1.0", "Outlook 邮件（.msg）"),
    ("VisioDocument", "Visio 绘图"),
    ("Contents", "Publisher 或 Works 文件"),
]


def _ole_kind(path: Path) -> Kind:
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
            word = ole.openstream("WordDocument").read(12) if "WordDocument" in streams else b""
    except Exception as error:  # olefile raises many kinds on a damaged container
        raise ReadError(f"{path}：文件已损坏，无法打开（{error}）") from None
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        raise ReadError(f"{path}：文件设有打开密码（已加密），请在 Excel、Word 或 WPS 中取消密码、另存后再导入")
    if "Workbook" in streams or "Book" in streams:
        return Kind("xls", "Excel 97-2003 工作簿（.xls）")
    if word:
        if len(word) >= 12 and word[11] & 0x01:  # the FIB's fEncrypted flag
            raise ReadError(f"{path}：文件设有打开密码（已加密），请在 Word 或 WPS 中取消密码、另存后再导入")
        return Kind("office", "Word 97-2003 文档（.doc）", "docx")
    for stream, description in _OLE_KINDS:
        if stream in streams:
            raise ReadError(f"{path}：是{description}，不是表单文件（可导入 {SUPPORTED}）")
    target = OFFICE_SUFFIXES.get(path.suffix.lower())
    if target:  # an OLE file of another office suite (old WPS): LibreOffice may know it
        return Kind("office", f"{path.suffix.lower()} 文件", target)
    raise ReadError(f"{path}：是未能识别的 OLE 复合文档（含 {'、'.join(sorted(streams)[:5]) or '无数据流'}），"
                    f"不是表单文件（可导入 {SUPPORTED}）")
