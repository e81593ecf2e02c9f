"""Read written DOCX, XLSX and PDF files back into the grid shape of ``Sheet.grid()``."""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
from docx.oxml.ns import qn
from pypdf import PdfReader


def docx_grid(path) -> list[tuple[int, int, int, int, str]]:
    """Cells of every table of a DOCX, rows numbered across tables, merges from w:gridSpan/w:vMerge."""
    body = docx.Document(path).element.body
    cells: list[list] = []
    open_cells: dict[int, list] = {}  # column → the cell a w:vMerge continuation extends
    row = 0
    header_seen = False
    for table in body.iter(qn("w:tbl")):
        trs = table.findall(qn("w:tr"))
        headers = [tr for tr in trs if tr.find(qn("w:trPr")) is not None
                   and tr.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None]
        if header_seen:  # a page's table opens with the header again: the same rows, printed twice
            trs = [tr for tr in trs if tr not in headers]
        header_seen = header_seen or bool(headers)
        for tr in trs:
            col = 0
            for tc in tr.findall(qn("w:tc")):
                properties = tc.find(qn("w:tcPr"))
                span_element = properties.find(qn("w:gridSpan"))
                span = int(span_element.get(qn("w:val"))) if span_element is not None else 1
                merge = properties.find(qn("w:vMerge"))
                if merge is not None and merge.get(qn("w:val")) in (None, "continue"):
                    open_cells[col][2] += 1
                else:
                    text = "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.findall(qn("w:p")))
                    cell = [row, col, 1, span, text]
                    cells.append(cell)
                    open_cells[col] = cell
                col += span
            row += 1
    return sorted(tuple(c) for c in cells)


def docx_headings(path) -> list[str]:
    body = docx.Document(path).element.body
    return ["".join(t.text for t in p.iter(qn("w:t"))) for p in body.findall(qn("w:p")) if p.find(qn("w:r")) is not None]


def xlsx_grid(path, top_row: int) -> list[tuple[int, int, int, int, str]]:
    """Cells of the first worksheet from ``top_row`` (1-based) down, merges from merged ranges, in
    grid rows (a grid row too tall for one worksheet row spans several, merged)."""
    cells = xlsx_grid_physical(path, top_row)
    starts = sorted({r for r, *_ in cells})
    grid_row = {r: index for index, r in enumerate(starts)}
    return sorted((grid_row[r], c, sum(1 for s in starts if r <= s < r + rowspan), colspan, text)
                  for r, c, rowspan, colspan, text in cells)


def xlsx_grid_physical(path, top_row: int) -> list[tuple[int, int, int, int, str]]:
    """Cells of the first worksheet from ``top_row`` down, rows counted as worksheet rows from 0 (a
    blank cell over a cell with no rule between them read as one, as on paper)."""
    from formgen.layout.sheet import Cell
    from formgen.readers.xlsx import joined_open_cells, rules_of

    ws = openpyxl.load_workbook(path).active
    spans, covered = {}, set()
    for merged in ws.merged_cells.ranges:
        spans[merged.min_row, merged.min_col] = (merged.max_row - merged.min_row + 1, merged.max_col - merged.min_col + 1)
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                if (r, c) != (merged.min_row, merged.min_col):
                    covered.add((r, c))
    cells = []
    for r in range(top_row, ws.max_row + 1):
        for c in range(1, ws.max_column + 1):
            if (r, c) in covered:
                continue
            cell = ws.cell(row=r, column=c)
            value = cell.value
            if isinstance(value, (int, float)):  # shown as its number format shows it
                value = f"{Decimal(str(value)):,.2f}" if ".00" in cell.number_format else f"{Decimal(str(value)):,.0f}"
            rowspan, colspan = spans.get((r, c), (1, 1))
            cells.append(Cell(r - 1, c - 1, [] if value is None else [str(value)], rowspan, colspan))
    return sorted((c.row + 1 - top_row, c.col, c.rowspan, c.colspan, c.text) for c in joined_open_cells(cells, rules_of(ws)))


def xlsx_row_starts(path, top_row: int) -> list[int]:
    """The worksheet row (1-based) each grid row starts on: a grid row too tall for one worksheet
    row spans several, merged, and only its first holds the start of a cell."""
    return sorted({r + top_row for r, *_ in xlsx_grid_physical(path, top_row)})


def pdf_text(path, footer_name: str | None = None) -> str:
    """All text of a PDF with whitespace removed, for containment checks of wrapped texts; with
    ``footer_name`` the running footer of each page (``name 第 N 页 共 M 页``) is left out, since a
    text split by a page break spans it."""
    pages = [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(path).pages]
    if footer_name is not None:
        footer = re.escape(re.sub(r"\s+", "", footer_name)) + r"第\d+页共\d+页$"
        pages = [re.sub(footer, "", page) for page in pages]
    return "".join(pages)


def pdf_fonts(path) -> set[str]:
    """Base names of the fonts embedded in a PDF (those with a font file)."""
    names = set()
    for page in PdfReader(path).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor and any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.add(str(font["/BaseFont"]))
    return names


# --- whole files, as a reader sees them: for comparing two builds ------------------------

def docx_content(path: Path) -> list:
    """Every paragraph's text and every table cell's text and merge marks, in body order."""
    body = docx.Document(path).element.body
    content = []
    for element in body.iter(qn("w:p"), qn("w:tc")):
        text = "".join(t.text or "" for t in element.iter(qn("w:t")))
        if element.tag == qn("w:tc"):
            properties = element.find(qn("w:tcPr"))
            span = properties.find(qn("w:gridSpan")) if properties is not None else None
            merge = properties.find(qn("w:vMerge")) if properties is not None else None
            content.append(("cell", span.get(qn("w:val")) if span is not None else "1",
                            None if merge is None else merge.get(qn("w:val"), "continue"), text))
        else:
            content.append(("p", text))
    return content


def xlsx_content(path: Path) -> list:
    workbook = openpyxl.load_workbook(path)
    content = []
    for ws in workbook.worksheets:
        content.append(("sheet", ws.title, sorted(str(r) for r in ws.merged_cells.ranges), ws.print_title_rows))
        for row in ws.iter_rows():
            content += [(cell.coordinate, cell.value, cell.number_format) for cell in row if cell.value is not None]
    return content


def pdf_page_images(path: Path, folder: Path, dpi: int = 60) -> list[Path]:
    """Each page of a PDF rendered to a PNG in ``folder`` by pdftoppm, as a person would look at it."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(path), str(folder / "page")], check=True)
    return sorted(folder.glob("page*.png"))


def pdf_pages(path: Path) -> list[str]:
    """A hash of each page rendered at 60 dpi."""
    with tempfile.TemporaryDirectory() as folder:
        return [hashlib.sha256(page.read_bytes()).hexdigest() for page in pdf_page_images(path, Path(folder))]


CONTENT = {".docx": docx_content, ".xlsx": xlsx_content, ".pdf": pdf_pages}


def compare_folders(before: Path, after: Path) -> tuple[list[Path], list[str]]:
    """The DOCX, XLSX and PDF files of two output folders, and a line for each that differs."""
    names = sorted({p.relative_to(root) for root in (before, after) for p in root.rglob("*")
                    if p.suffix in CONTENT and not any(part.startswith(".") for part in p.relative_to(root).parts)})
    differing = []
    for name in names:
        a, b = before / name, after / name
        if not (a.is_file() and b.is_file()):
            differing.append(f"{name}: only in {'before' if a.is_file() else 'after'}")
        elif CONTENT[name.suffix](a) != CONTENT[name.suffix](b):
            differing.append(f"{name}: differs")
    return names, differing


def cell_lines(sheet, document=None) -> list[tuple[str, list[str]]]:
    """(th|td, the text of each line) of every grid cell as WeasyPrint lays the sheet out for its PDF
    (or as ``document``, that layout, already holds it)."""
    from formgen.writers import pdf

    def lines(box) -> list[str]:
        if type(box).__name__ == "LineBox":
            text = "".join(getattr(t, "text", "") for t in box.descendants() if type(t).__name__ == "TextBox")
            return [text.replace(pdf.BREAK, "")]
        return [line for child in getattr(box, "children", []) for line in lines(child)]

    cells = []
    for page in (document or pdf.layout(sheet)).pages:
        for box in page._page_box.descendants():  # noqa: SLF001
            if type(box).__name__ == "TableCellBox":
                cells.append((box.element_tag, [line for line in lines(box) if line.strip()]))
    return cells


def printed_sheet(project):
    """A project's Sheet as its files print it: laid out, then cut into the planned pages."""
    from formgen import writers
    from formgen.layout import Layouts

    return writers.paginate(Layouts().sheet(project), ())


def comparable(text: str) -> str:
    """Text as compared: no white space, and no curly quotes, which LibreOffice draws from a
    fallback face and its PDF's text therefore lists out of place."""
    return re.sub(r"[\s“”‘’]+", "", text)


def comparable_pages(path) -> list[str]:
    """Each page's text of a PDF, comparable."""
    return [comparable(page.extract_text()) for page in PdfReader(path).pages]


# --- office suites: our DOCX and XLSX printed as an office prints them ------------------------

# Font environments to print in, made with fontconfig: this machine as it is (LibreOffice draws 宋体
# from its fallbacks), and 宋体/SimSun drawn in another Song face with Calibri (the workbook's font)
# in Carlito, which has Calibri's metrics: as on a machine without SimSun.
FONT_ENVIRONMENTS = {
    "as is": None,
    "宋体 → Noto Serif CJK SC, Calibri → Carlito": ("Noto Serif CJK SC", "Carlito"),
    "宋体 → AR PL UMing, Calibri → Carlito": ("AR PL UMing CN", "Carlito"),
}
_SUBSTITUTION = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="no">{base}</include>
  {matches}
</fontconfig>
"""
_MATCH = ('<match target="pattern"><test name="family"><string>{family}</string></test>'
          '<edit name="family" mode="assign" binding="strong"><string>{face}</string></edit></match>')


def font_environment(name: str, folder: Path) -> dict[str, str]:
    """The environment of a process printing in font environment ``name``: a private fontconfig file
    (``FONTCONFIG_FILE``) that reads this machine's and substitutes the faces, the system left alone."""
    import os

    environment = dict(os.environ)
    faces = FONT_ENVIRONMENTS[name]
    if faces is None:
        return environment
    song, calibri = faces
    matches = [_MATCH.format(family=family, face=song) for family in ("宋体", "SimSun", "NSimSun")]
    matches.append(_MATCH.format(family="Calibri", face=calibri))
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "fonts.conf"
    config.write_text(_SUBSTITUTION.format(base=os.environ.get("FONTCONFIG_FILE", "/etc/fonts/fonts.conf"),
                                           matches="\n  ".join(matches)), encoding="utf-8")
    environment["FONTCONFIG_FILE"] = str(config)
    return environment


def missing_faces() -> list[str]:
    """The faces of ``FONT_ENVIRONMENTS`` this machine lacks (``scripts/setup-system.sh --office`` installs them)."""
    families = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    return sorted({face for faces in FONT_ENVIRONMENTS.values() if faces for face in faces if face not in families})


def print_with_libreoffice(files: list[Path], folder: Path, environment: dict[str, str], soffice: str = "soffice") -> Path:
    """Every file converted to PDF by LibreOffice (a private profile) into ``folder``/pdf, in one call."""
    completed = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{folder}/profile", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder / "pdf"), *map(str, files)], capture_output=True, text=True, timeout=900, env=environment)
    assert completed.returncode == 0, completed.stderr
    return folder / "pdf"


def clipped_pages(path: Path, dpi: int = 30) -> list[int]:
    """The pages (from 1) of a PDF on which something is cut off by a clip: a cell too short for its
    text draws it clipped (its text is still in the file, so that text extraction misses it). Drawn
    (by pdfium) with and without the file's clips, such a page differs."""
    import io

    import pypdfium2
    from PIL import ImageChops
    from pypdf import PdfWriter
    from pypdf.generic import ContentStream, NameObject

    reader = PdfReader(path)
    writer, clipping = PdfWriter(), []
    for number, page in enumerate(reader.pages, 1):
        content = ContentStream(page.get_contents(), reader)
        kept = [(operands, operator) for operands, operator in content.operations if operator not in (b"W", b"W*")]
        if len(kept) != len(content.operations):
            clipping.append(number)
        content.operations = kept
        page[NameObject("/Contents")] = content
        writer.add_page(page)
    if not clipping:
        return []
    unclipped = io.BytesIO()
    writer.write(unclipped)
    drawn = [pypdfium2.PdfDocument(str(path)), pypdfium2.PdfDocument(unclipped.getvalue())]
    pictures = [[document[number - 1].render(scale=dpi / 72).to_pil().convert("L") for document in drawn]
                for number in clipping]
    return [number for number, (a, b) in zip(clipping, pictures) if ImageChops.difference(a, b).getbbox()]


def unplanned_print(sheet, pages: list[str], clipped: list[int] = ()) -> str | None:
    """How an office suite's print of a planned form (its pages' text, ``comparable_pages``; the pages
    it clipped, ``clipped_pages``) differs from the plan: another page count, a page without every
    text of its planned rows (labels, values, and the repeated header), a page with a clipped cell.
    None when it prints as planned."""
    if len(pages) != sheet.page_count:
        return f"{len(pages)} pages, planned {sheet.page_count}"
    if clipped:
        return f"text cut off on pages {list(clipped)}"
    starts = [0, *sheet.page_starts, sheet.row_count]
    header = sheet.repeat_rows
    for number, (start, end) in enumerate(zip(starts, starts[1:])):
        rows = set(range(start, end)) | (set(header) if number and header and start > max(header) else set())
        footer = re.escape(comparable(sheet.name)) + r"第\d+页共\d+页"
        text = re.sub(footer, "", pages[number])
        for cell in sorted((c for c in sheet.cells if c.row in rows), key=lambda c: (c.row, c.col)):
            for para in cell.paragraphs:
                if comparable(para) not in text:
                    return f"page {number + 1} lacks {para[:30]!r} (row {cell.row})"
    return None
