"""formgen import takes the files users already have: .xls, .doc/.wps/.et through LibreOffice,
SpreadsheetML and HTML saved as .xls, and PDF forms, a whole 汇总表 included.

Round trips: formgen's own forms converted by LibreOffice (to .xls, .doc, .pdf), the samples'
汇总表 PDFs, and files other programs laid out read back to the samples' data.
"""

import shutil
import subprocess
from decimal import Decimal

import pytest
from test_import import comparable

from formgen.commands.importing import import_files
from formgen.layout import Layouts
from formgen.readers import read
from formgen.readers import office
from formgen.workspace import build, check
from conftest import SAMPLES

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _originals():
    return {(o.loaded.project.name, o.loaded.project.form): o.loaded.project for o in check([SAMPLES]).done}


def _imported(results):
    """The projects written by an import, by (name, kind); a result with problems fails here."""
    assert all(r.written for r in results), [r.problems for r in results if not r.written]
    projects = [check([r.written]).done[0].loaded.project for r in results]
    return {(p.name, p.form): p for p in projects}


def _convert(sources, target, folder):
    """``sources`` converted by LibreOffice to ``target`` (xls, doc, pdf) in one call, with a profile of its own."""
    if SOFFICE is None:
        pytest.fail("LibreOffice is missing: `make test` installs it (scripts/setup-system.sh --office)")
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless", "--convert-to",
                    target, "--outdir", str(folder / target), *map(str, sources)],
                   capture_output=True, timeout=600, check=True)
    return {source: folder / target / f"{source.stem}.{target}" for source in sources}


@pytest.fixture(scope="module")
def samples_built(tmp_path_factory):
    output = tmp_path_factory.mktemp("import-formats")
    report = build([SAMPLES], output)
    assert report.ok
    return output


# --- .xls, and what budget systems save under its name ------------------------------------------

@pytest.mark.office
def test_xls_saved_by_libreoffice_reads_as_the_xlsx_and_imports_every_sample(fidelity_build, tmp_path):
    sources = [p for p in fidelity_build.written if p.suffix == ".xlsx"]
    copies = []
    for index, source in enumerate(sources):  # plain names: one soffice call
        copies.append(tmp_path / f"{index}.xlsx")
        shutil.copy(source, copies[-1])
    converted = _convert(copies, "xls", tmp_path)
    originals = _originals()
    for copy in copies:
        xls, xlsx = read(converted[copy]), read(copy)
        assert [f.sheet.grid() for f in xls] == [f.sheet.grid() for f in xlsx], copy
        assert [[c.amount for c in f.sheet.cells] for f in xls] == [[c.amount for c in f.sheet.cells] for f in xlsx]
        for key, project in _imported(import_files([converted[copy]], tmp_path / copy.stem)).items():
            assert comparable(project) == comparable(originals[key]), key


def _spreadsheetml(sheet, title):
    """The form as Excel 2003 XML, as a budget system writes it under .xls: covered cells left
    out, the next cell's column named where one is skipped, amounts as numbers."""
    from xml.sax.saxutils import escape

    rows = []
    for r in range(sheet.row_count):
        cells, expected = [], 0
        for cell in sorted((c for c in sheet.cells if c.row == r), key=lambda c: c.col):
            index = f' ss:Index="{cell.col + 1}"' if cell.col != expected else ""
            merge = (f' ss:MergeAcross="{cell.colspan - 1}"' if cell.colspan > 1 else "") + \
                    (f' ss:MergeDown="{cell.rowspan - 1}"' if cell.rowspan > 1 else "")
            data = f'<Data ss:Type="Number">{cell.amount}</Data>' if cell.amount is not None else \
                f'<Data ss:Type="String">{escape(cell.text).replace(chr(10), "&#10;")}</Data>'
            cells.append(f"<Cell{index}{merge}>{data}</Cell>")
            expected = cell.col + cell.colspan
        rows.append(f"<Row>{''.join(cells)}</Row>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
            'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"><Table>'
            f'<Row><Cell ss:MergeAcross="5"><Data ss:Type="String">{title}</Data></Cell></Row>'
            '<Row><Cell><Data ss:Type="String">(2023年度)</Data></Cell></Row>'
            + "".join(rows) + "</Table></Worksheet></Workbook>")


def _html_table(sheet, title):
    """The form as the HTML table a Java budget system saves under .xls (GBK, x:num amounts)."""
    from html import escape

    rows = []
    for r in range(sheet.row_count):
        cells = "".join(
            f'<td rowspan={c.rowspan} colspan={c.colspan}'
            + (f' x:num="{c.amount}"' if c.amount is not None else "") + ">"
            + "<br>".join(escape(p) for p in c.paragraphs) + "</td>"
            for c in sorted((c for c in sheet.cells if c.row == r), key=lambda c: c.col))
        rows.append(f"<tr>{cells}</tr>")
    return (f'<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta http-equiv="Content-Type" '
            f'content="text/html; charset=gb2312"></head><body><p>{title}</p><p>（2023年度）</p>'
            f'<table border=1>{"".join(rows)}</table></body></html>')


@pytest.mark.parametrize("kind", ["spreadsheetml", "html"])
def test_xml_and_html_saved_as_xls_are_read_by_their_content(tmp_path, kind):
    source = SAMPLES / "上海市城市管理行政执法局-2023" / "城管执法社会宣传.yaml"
    [original] = check([source]).done
    sheet = Layouts().sheet(original.loaded.project)
    path = tmp_path / "预算系统导出.xls"
    if kind == "spreadsheetml":
        path.write_text(_spreadsheetml(sheet, "财政项目支出绩效目标申报表"), encoding="utf-8")
    else:
        path.write_bytes(_html_table(sheet, "财政项目支出绩效目标申报表").encode("gb18030"))
    [result] = import_files([path], tmp_path / "out")
    assert result.problems == []
    [imported] = check([result.written]).done
    assert comparable(imported.loaded.project) == comparable(original.loaded.project)
    assert imported.loaded.project.funding.total == Decimal("3079000.00")


# --- .doc, .wps, .et: through LibreOffice -------------------------------------------------------

@pytest.mark.office
def test_doc_wps_and_et_import_through_libreoffice(fidelity_build, tmp_path):
    form = next(f for f in fidelity_build.done if f.loaded.project.name == "课题研究")
    shutil.copy(form.stem.with_suffix(".docx"), tmp_path / "课题.docx")
    shutil.copy(form.stem.with_suffix(".xlsx"), tmp_path / "课题.xlsx")
    doc = _convert([tmp_path / "课题.docx"], "doc", tmp_path)[tmp_path / "课题.docx"]
    xls = _convert([tmp_path / "课题.xlsx"], "xls", tmp_path)[tmp_path / "课题.xlsx"]
    original = comparable(form.loaded.project)
    for name, data in (("旧表.doc", doc), ("金山.wps", doc), ("金山.et", xls)):
        shutil.copy(data, tmp_path / name)
        [result] = import_files([tmp_path / name], tmp_path / name.replace(".", "-"))
        assert result.problems == [] and result.source.startswith(name), result
        assert comparable(check([result.written]).done[0].loaded.project) == original, name


_LINKED_IMAGE_ODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"
 office:version="1.3"><office:body><office:text><text:p>财政项目支出绩效目标申报表
<draw:frame draw:name="图" svg:width="2cm" svg:height="2cm"><draw:image xlink:href="{url}" xlink:type="simple"
 xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p></office:text></office:body></office:document-content>"""


@pytest.mark.office
def test_a_document_linking_a_url_makes_no_request_when_converted(tmp_path):
    """An uploaded document whose image is a URL inside the office network: LibreOffice would fetch
    it as it opens the file (formgen serve converts uploads), so every request of the conversion
    goes to a proxy that is not there. The listener here must hear nothing."""
    import http.server
    import threading
    import zipfile

    heard = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            heard.append(self.path)
            self.send_error(404)

        do_OPTIONS = do_HEAD = do_PROPFIND = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        document = tmp_path / "旧表.odt"
        with zipfile.ZipFile(document, "w") as package:
            package.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
            package.writestr("content.xml", _LINKED_IMAGE_ODT.format(url=f"http://127.0.0.1:{server.server_port}/图.png"))
            package.writestr("META-INF/manifest.xml", (
                '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>"))
        [result] = import_files([document], tmp_path / "out")
        assert result.written is None and any("未找到“项目名称”" in p for p in result.problems)  # opened and read
    finally:
        server.shutdown()
    assert heard == []


def test_without_libreoffice_a_doc_names_the_resave_step(tmp_path, monkeypatch, fidelity_build):
    monkeypatch.setattr(office, "soffice", lambda: None)
    form = fidelity_build.done[0]
    (tmp_path / "旧表.rtf").write_text("{\\rtf1 财政项目支出绩效目标申报表}", encoding="utf-8")
    [result] = import_files([tmp_path / "旧表.rtf"], tmp_path / "out")
    assert result.written is None and "另存为 .docx" in result.problems[0] and "LibreOffice" in result.problems[0]
    assert form  # the fidelity build is not needed otherwise: LibreOffice is never started


def test_other_files_are_named_for_what_they_are(tmp_path):
    (tmp_path / "说明.txt").write_text("不是表单", encoding="utf-8")
    (tmp_path / "包.zip").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    [text, damaged] = import_files([tmp_path / "说明.txt", tmp_path / "包.zip"], tmp_path / "out")
    assert "不是可导入的表单文件" in text.problems[0] and "PDF" in text.problems[0]
    assert "损坏" in damaged.problems[0]


# --- PDF ---------------------------------------------------------------------------------------

def test_the_samples_compilation_pdfs_import_back_to_their_projects(samples_built, tmp_path):
    """All 63 forms of the five 汇总表 PDFs, every field equal: the PDFs are tagged, so even a
    paragraph that ends on a full line (行业信访…'s annual goal) or a line that fills its cell to
    a hair (依法行政辅助工作服务's reasons, 0.00004 pt) is read as written."""
    compilations = sorted(samples_built.glob("*/*汇总表.pdf"))
    assert len(compilations) == 5
    originals = _originals()
    for pdf in compilations:
        for result in import_files([pdf], tmp_path / pdf.parent.name):
            assert result.problems == [], result.problems
            project = check([result.written]).done[0].loaded.project
            assert comparable(project) == comparable(originals.pop((project.name, project.form))), project.name
    assert originals == {}


def test_a_compilation_pdf_keeps_every_form_s_tags(samples_built):
    """The 汇总表 joins its forms' PDFs; each form's structure tree goes with its pages."""
    import pdfplumber

    [pdf] = samples_built.glob("上海市城市管理行政执法局-2024/*汇总表.pdf")
    with pdfplumber.open(pdf) as document:
        assert document.doc.catalog["MarkInfo"]["Marked"] is True
        for page in document.pages:
            tree = page.structure_tree
            assert [element["type"] for element in tree] == ["Document"], page.page_number
            assert all(char["mcid"] is not None for char in page.chars), page.page_number


def test_a_hostile_structure_tree_is_read_by_widths_in_bounded_time(fidelity_build, tmp_path):
    """A tagged PDF whose every element is its own parent, whose parent tree lists itself as its
    kid, and whose page opens marked content 200,000 times without closing it: the tags say
    nothing certain, so the page is read by widths (formgen's are exact), in a bounded time."""
    import time

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject

    form = next(f for f in fidelity_build.done if f.loaded.project.name == "课题研究")
    writer = PdfWriter(clone_from=PdfReader(form.stem.with_suffix(".pdf")))
    tree = writer.root_object["/StructTreeRoot"]
    parents = tree["/ParentTree"]
    parents[NameObject("/Kids")] = ArrayObject([parents.indirect_reference])
    for number in range(1, len(writer._objects) + 1):  # noqa: SLF001 (every object of the file)
        element = writer.get_object(number)
        if hasattr(element, "get") and element.get("/Type") == "/StructElem":
            element[NameObject("/P")] = element.indirect_reference
    page = writer.pages[0]
    stream = DecodedStreamObject()
    stream.set_data(b"/Span <</MCID 0>> BDC\n" * 200_000 + page.get_contents().get_data())
    page[NameObject("/Contents")] = writer._add_object(stream)  # noqa: SLF001
    hostile = tmp_path / "标签.pdf"
    with open(hostile, "wb") as file:
        writer.write(file)
    started = time.monotonic()
    [result] = import_files([hostile], tmp_path / "out")
    assert time.monotonic() - started < 60  # a bound, not a benchmark
    assert result.problems == [], result.problems
    assert comparable(check([result.written]).done[0].loaded.project) == comparable(form.loaded.project)
