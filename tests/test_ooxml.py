"""Every DOCX and XLSX formgen writes is valid Office Open XML (ECMA-376), checked by an
independent validator (openxml-audit), and says what Word, WPS and Excel need to read it as a
Chinese form: one page-number restart a section, 宋体 in the font table, zh-CN text, no
stale template parts, one rule where two tables meet, footers whose ``&`` print as written."""

import re
import shutil
import subprocess
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from lxml import etree
from openxml_audit import FileFormat, OpenXmlValidator, ValidationSeverity

from formgen.layout.sheet import Sheet
from formgen.writers import xlsx
from projects import declaration

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
VALIDATOR = OpenXmlValidator(file_format=FileFormat.OFFICE_2019, max_errors=1000)
# openxml-audit's schema models SpreadsheetML's CT_Font (a font in styles.xml) as a sequence, so
# a font's children in another order are reported as unexpected; ECMA-376 Part 1 (sml.xsd) makes
# it <xsd:choice maxOccurs="unbounded">: any order is valid. Only those reports are left out.
_CT_FONT_CHILDREN = {"b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color",
                     "name", "family", "charset", "scheme"}
# openpyxl writes texts inline (t="inlineStr"), which is valid; the validator warns that Excel
# moves them to a shared-strings part when it saves the file again.
_INLINE_STRINGS = re.compile(r"has \d+ inline-string cell")


def _ct_font_order(error) -> bool:
    return (error.part_uri == "/xl/styles.xml" and re.search(r"/font\[\d+\]$", error.path) is not None
            and error.description == f"Unexpected element '{error.node}' found" and error.node in _CT_FONT_CHILDREN)


def problems(path: Path) -> list[str]:
    """What the validator finds wrong with a file, but for the two reports above."""
    result = VALIDATOR.validate(path)
    return [f"{error.part_uri} {error.path}: {error.description}" for error in result.errors
            if not _ct_font_order(error)
            and not (error.severity == ValidationSeverity.WARNING and _INLINE_STRINGS.search(error.description))]


def office_files(output: Path) -> list[Path]:
    return sorted(path for suffix in ("docx", "xlsx") for path in output.glob(f"*/*.{suffix}"))


def test_every_docx_and_xlsx_of_the_samples_is_valid(sample_outputs):
    files = office_files(sample_outputs)
    assert len(files) == 2 * (63 + 5)
    with ProcessPoolExecutor() as pool:  # half a second a DOCX: on every core
        found = dict(zip((path.name for path in files), pool.map(problems, files)))
    assert {name: reported for name, reported in found.items() if reported} == {}


def test_the_validator_still_finds_what_it_must(tmp_path, sample_outputs):
    # The check is no stub: a 汇总表 with a section's page numbering given twice, as the DOCX
    # writer once wrote it, is reported.
    source = next(sample_outputs.glob("*/*汇总表.docx"))
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(broken, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b'<w:pgNumType w:start="1"/>', b'<w:pgNumType w:start="1"/><w:pgNumType w:start="1"/>', 1)
            copy.writestr(item, data)
    assert any("pgNumType" in problem for problem in problems(broken))


def docx_part(path: Path, name: str):
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read(name)) if name in package.namelist() else None


def test_each_form_of_a_docx_compilation_restarts_its_page_numbers_once(sample_outputs):
    for path in sample_outputs.glob("*/*汇总表.docx"):
        sections = docx_part(path, "word/document.xml").iter(f"{W}sectPr")
        counts = [len(section.findall(f"{W}pgNumType")) for section in sections]
        assert counts[0] == 0 and set(counts[1:]) == {1}, path.name  # the title page, then one a form
        assert all(numbering.get(f"{W}start") == "1"
                   for numbering in docx_part(path, "word/document.xml").iter(f"{W}pgNumType"))


def test_docx_declares_song_and_chinese_and_drops_the_templates_leftovers(sample_outputs):
    for path in [*sample_outputs.glob("*/课题研究.docx"), *sample_outputs.glob("*/*汇总表.docx")]:
        fonts = docx_part(path, "word/fontTable.xml")
        [song] = [font for font in fonts if font.get(f"{W}name") == "宋体"]
        assert song.find(f"{W}altName").get(f"{W}val") == "SimSun"
        assert song.find(f"{W}charset").get(f"{W}val") == "86"  # GB2312
        assert song.find(f"{W}panose1").get(f"{W}val") == "02010600030101010101"
        assert not [font for font in fonts if font.find(f"{W}charset").get(f"{W}val") == "80"]  # no Japanese faces
        languages = [*docx_part(path, "word/styles.xml").iter(f"{W}lang"),
                     *docx_part(path, "word/settings.xml").iter(f"{W}themeFontLang")]
        assert len(languages) == 2  # the text's, in docDefaults, and the theme fonts'
        assert {(lang.get(f"{W}val"), lang.get(f"{W}eastAsia")) for lang in languages} == {("zh-CN", "zh-CN")}
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            relations = b"".join(package.read(name) for name in names if name.endswith(".rels"))
        assert "word/stylesWithEffects.xml" not in names and b"stylesWithEffects" not in relations
        assert not [name for name in names if "thumbnail" in name] and b"thumbnail" not in relations
        assert docx_part(path, "word/settings.xml").find(f"{W}savePreviewPicture") is None


def test_the_two_tables_of_a_declaration_meet_in_one_rule(sample_outputs):
    body = docx_part(next(sample_outputs.glob("*/课题研究.docx")), "word/document.xml").find(f"{W}body")
    children = list(body)
    tables = [index for index, child in enumerate(children) if child.tag == f"{W}tbl"]
    assert len(tables) >= 2
    lead, second = tables[:2]
    joint = children[lead + 1]
    assert second == lead + 2 and joint.find(f"{W}pPr/{W}pageBreakBefore") is None
    spacing = joint.find(f"{W}pPr/{W}spacing")
    assert spacing.get(f"{W}lineRule") == "exact" and int(spacing.get(f"{W}line")) <= 2  # a tenth of a point

    def rule(table, side):
        return table.find(f"{W}tblPr/{W}tblBorders/{W}{side}").get(f"{W}val")

    assert rule(children[lead], "bottom") == "nil" and rule(children[second], "top") == "single"
    for table in tables[2:]:  # the planned pages: each table opens a page and is closed all round
        assert rule(children[table], "top") == rule(children[table], "bottom") == "single"


def render_excel_codes(text: str, page: int, pages: int) -> str:
    """A header or footer as Excel prints it: ``&&`` an ampersand, ``&P`` and ``&N`` the numbers,
    the leading section and size codes openpyxl writes dropped; any other code is an error here."""
    text = re.sub(r"^&C(&\d+ )?", "", text)
    printed, index = [], 0
    while index < len(text):
        if text[index] != "&":
            printed.append(text[index])
            index += 1
            continue
        code = text[index + 1:index + 2]
        assert code in ("&", "P", "N"), f"Excel code &{code} in {text!r}"
        printed.append({"&": "&", "P": str(page), "N": str(pages)}[code])
        index += 2
    return "".join(printed)


NAMES_WITH_CODES = ["R&D研发&P测试", "&D&T&F&A&N&Z&G", '&"宋体,加粗"&12&B&I&U&K00FF00', "&L左&C中&R右", "结尾&", "&&&"]


@pytest.mark.parametrize("name", NAMES_WITH_CODES)
def test_an_ampersand_in_a_name_prints_as_written_in_the_xlsx_footer(workspace, name):
    from formgen.workspace import build

    workspace.write("ws/单位/甲.yaml", declaration(项目名称=f"项目名称: '{name}'"))
    report = build([workspace.root / "ws"], workspace.root / "out", ("xlsx",), jobs=1)
    assert report.ok, report.failed
    [path] = (workspace.root / "out" / "单位").glob("*.xlsx")
    raw = docx_part(path, "xl/worksheets/sheet1.xml").find(
        ".//{http://schemas.openxmlformats.org/spreadsheetml/2006/main}oddFooter").text
    assert render_excel_codes(raw, 1, 2) == f"{name}　　第 1 页 共 2 页"
    assert problems(path) == []


def test_a_footer_too_long_for_excel_shortens_the_name():
    sheet = Sheet(name="很长的项目名称&" * 40, headings=[], column_widths=[], cells=[], row_count=0)
    footer = xlsx._footer(sheet, "&N")
    assert 254 <= len("&C&9 " + footer) <= 255  # as much of the name as fits (an & takes two)
    printed = render_excel_codes(footer, 3, 4)
    assert printed.endswith("…　　第 3 页 共 4 页") and sheet.name.startswith(printed.split("…")[0])


def test_a_short_footer_is_left_whole():
    sheet = Sheet(name="课题研究", headings=[], column_widths=[], cells=[], row_count=0)
    assert xlsx._footer(sheet, "5") == "课题研究　　第 &P 页 共 5 页"


@pytest.mark.office
def test_libreoffice_prints_the_ampersands_of_a_footer_as_written(workspace):
    from pypdf import PdfReader

    from formgen.workspace import build

    name = "R&D研发&P测试"
    workspace.write("ws/单位/甲.yaml", declaration(项目名称=f"项目名称: {name}"))
    assert build([workspace.root / "ws"], workspace.root / "out", ("xlsx", "docx"), jobs=1).ok
    sources = sorted((workspace.root / "out" / "单位").glob("*.*x"))
    converted = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{workspace.root / 'profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(workspace.root / "pdf"), *map(str, sources)], capture_output=True, text=True, timeout=300)
    assert converted.returncode == 0, converted.stderr
    for source in sources:
        [page] = PdfReader(workspace.root / "pdf" / f"{source.stem}.pdf").pages
        assert f"{name}第1页共1页" in re.sub(r"\s", "", page.extract_text()), source.name
