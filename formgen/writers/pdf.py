"""Sheet → PDF with WeasyPrint, fonts embedded, the indicator header repeated on each page;
a 汇总表 as a title page followed by its forms' own PDFs.

WeasyPrint repeats a table's ``<thead>`` on every page, but ``<thead>`` can only
open a table, and a rowspan cannot leave its row group. So the grid is printed as
row groups cut at the repeating rows: a lead table with the rows above them, then
a table whose ``<thead>`` holds them. A merged cell that crosses a cut is drawn
as segments with no border between them, its text in the largest segment, so on
paper it reads as the one merged cell the layout asked for.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..files import write_atomically
from ..layout.sheet import Cell, Compilation, Sheet
from . import WriterUnavailable, weasy
from .measure import splittable_rows

_HERE = Path(__file__).parent
_ENVIRONMENT = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_HERE)), autoescape=True)
_ALIGN_CLASS = {"left": None, "center": "center", "right": "amount"}
REQUIRED_FONT = "Noto Serif CJK SC"
# How each edge of the grid joins: segments of one cell have no border between
# them, and the second table overlaps the first by one rule so lines do not double.
# The page's content box is the table's width in every format (no body margin); the planned
# pages open where planned (``.opens-page``); an empty cell is a line tall, as in Word and Excel.
_PRINT_CSS = """
body { margin: 0; }
.open-top { border-top: none; } .open-bottom { border-bottom: none; }
tr.keep { break-after: avoid; }
tr.split { break-inside: auto; }
.opens-page { break-before: page; }
td:empty::before, th:empty::before { content: "\\200b"; }
table.continued { margin-top: -0.75pt; }
h1.cover { font-size: 22pt; margin-top: 70mm; }
"""
# A break opportunity that prints nothing (and that text extraction does not return): before the
# unit of an indicator value, ``≥31000.00(件)``, which would otherwise be one word broken anywhere
# (``≥31000.00(件`` / ``)``) in a cell too narrow for it.
BREAK = "\u200b"
_VALUE_WITH_UNIT = re.compile(r"^([<>=≤≥＜＞≈约]*\s*[\d.,]+\s*)([(（][^()（）]{1,12}[)）])$")


def printed(paragraph: str) -> str:
    """A paragraph as the PDF prints it: an indicator value may break before its unit."""
    return _VALUE_WITH_UNIT.sub(lambda match: match.group(1) + BREAK + match.group(2), paragraph)


_ONLY_OTHERS = "也可以只生成 DOCX 和 XLSX：加 -f docx,xlsx"


class FontMissing(WriterUnavailable):
    """No Song-style CJK face is installed: WeasyPrint would print blank glyphs silently."""


@dataclass
class _Segment:
    cell: Cell
    tag: str
    rowspan: int
    classes: list[str]
    with_text: bool
    style: str  # its planned height (where the segment is the whole cell), and a wider padding if planned


@dataclass
class _Group:
    tag: str  # thead | tbody
    first: int  # grid row of its first row
    rows: list[list[_Segment]]


def paginate(sheet: Sheet, keep_layout: bool = True) -> Sheet:
    """The page plan laid out by WeasyPrint, for a form the measure cannot plan (``plan``): lay
    it out once, as its PDF, and cut it where its pages start (``Sheet.split_at``)."""
    document = layout(sheet)
    paginated = sheet.split_at(_page_starts(document), len(document.pages))
    if keep_layout and paginated.cells == sheet.cells:  # nothing was cut: this layout is the PDF's
        _laid_out[id(paginated)] = document
    return paginated


# The layout of a sheet that paginate() did not change, for write(): one layout a form, not two.
_laid_out: dict[int, object] = {}


def write(sheet: Sheet, path) -> None:
    """Print one form into a PDF, laid out once from its page plan. Should its pages start
    elsewhere (a stylesheet the measure misreads), it is cut where they do start and laid out
    again, so that every page still carries its labels, and the form is counted (``fallbacks``)."""
    document = _laid_out.pop(id(sheet), None) or layout(sheet)
    starts = _page_starts(document)
    if starts != set(sheet.page_starts):
        fallbacks.append(sheet.name)
        document = layout(sheet.split_at(starts))
    document.write_pdf(path, pdf_tags=True)  # tagged: read aloud, and imported, by its structure


fallbacks: list[str] = []  # forms whose PDF did not start its pages where planned (benchmarks print it)


def write_compilation(compilation: Compilation, path) -> None:
    """The title page, then each form's own PDF, bookmarked by name: merging pages already
    printed is far cheaper than laying every form out again. Their tags are kept (``pdfjoin``)."""
    from .pdfjoin import TaggedJoin

    joined = TaggedJoin()
    joined.append(_title_page(compilation))
    for member in compilation.members:
        joined.append(member.pdf, outline_item=member.name)
    joined.write(path, compilation.title)


def _title_page(compilation: Compilation) -> Path:
    """The PDF page holding a compilation's title, printed once and kept in its cache folder:
    an edit of one form then rebuilds its 汇总表 PDF without starting WeasyPrint for the title."""
    key = f"{compilation.title}\0{compilation.stylesheet}\0{_PRINT_CSS}\0{_font_faces()}\0tagged"
    page = compilation.cache / f"title-{hashlib.sha256(key.encode()).hexdigest()[:20]}.pdf"
    if not page.is_file():
        html = render_html(None, compilation.stylesheet, cover_title=compilation.title_lines)
        write_atomically(page, functools.partial(_render(html).write_pdf, pdf_tags=True))
    return page


def layout(sheet: Sheet):
    """WeasyPrint's layout of a sheet, its pages and their boxes: what the plan measures against,
    and what tests read."""
    return _render(render_html(sheet))


def _render(html: str):
    check_available()  # without Pango or a Song face: a WriterUnavailable saying what to install
    return weasy.render(html, _font_config())


def _rows_per_page(document) -> list[set[int]]:
    """The grid rows on each page (rows carry ``data-row``; the repeated header is left out)."""
    return [{int(box.element.get("data-row")) for box in page._page_box.descendants()  # noqa: SLF001
             if box.element_tag == "tr" and box.element is not None and box.element.get("data-row")
             and "repeat" not in (box.element.get("class") or "")} for page in document.pages]


def _page_starts(document) -> set[int]:
    """The grid rows that open a page, after the first page. Only clean starts count: a very
    tall row running over a break is not one."""
    pages = _rows_per_page(document)
    return {min(rows) for before, rows in zip(pages, pages[1:]) if rows and min(rows) not in before}


def render_html(sheet: Sheet | None, css: str | None = None, cover_title: list[str] | None = None) -> str:
    """The page WeasyPrint prints: a sheet printed with its own stylesheet and footer, or a
    title page (its lines)."""
    css = sheet.stylesheet if css is None else css
    footer = _footer_css(sheet) if sheet else ""
    parts = _parts(sheet) if sheet else []
    return _ENVIRONMENT.get_template("print.html").render(
        sheet=sheet, parts=parts, css=_font_faces() + css + _PRINT_CSS + footer,
        splittable=splittable_rows(sheet) if sheet else set(), opening=_page_openings(sheet, parts) if sheet else {},
        printed=printed, title="".join(cover_title) if cover_title else sheet.name, cover_title=cover_title)


def _page_openings(sheet: Sheet, parts: list[list[_Group]]) -> dict:
    """What opens each planned page (``.opens-page``): its row, or the table whose body it opens (a
    row opening a page right under the header would leave the header behind at the foot of the page
    before), by row: ``{row: "row" | "table"}``."""
    first_body_rows = {part[1].first for part in parts if part[0].tag == "thead" and len(part) > 1}
    return {row: "table" if row in first_body_rows else "row" for row in sheet.page_starts}


def _footer_css(sheet: Sheet) -> str:
    """The running footer in the bottom margin of every page (CSS generated content)."""
    # The layout's words around the page numbers, each number a CSS counter in its place.
    quoted = [json.dumps(part, ensure_ascii=False) for part in sheet.footer_parts]
    return ("@page { @bottom-center { content: %s counter(page) %s counter(pages) %s; font-size: 9pt;"
            " font-family: \"formgen Song\", \"formgen Song 2\", \"Noto Serif CJK SC\", serif; } }\n" % tuple(quoted))


@functools.cache
def _font_faces() -> str:
    from .fonts import font_face_css

    return font_face_css()


def _parts(sheet: Sheet) -> list[list[_Group]]:
    """Tables of row groups: (lead tbody), then thead of the repeating rows, then tbody;
    merged cells crossing a cut become segments, the text in the largest."""
    n = sheet.row_count
    if not sheet.repeat_rows:
        tables = [[("tbody", 0, n)]]
    else:
        first, end = min(sheet.repeat_rows), max(sheet.repeat_rows) + 1
        tail = [("thead", first, end)] + ([("tbody", end, n)] if end < n else [])
        tables = ([[("tbody", 0, first)]] if first else []) + [tail]
    largest = {id(c): _largest_segment(c, tables) for c in sheet.cells}
    return [[_group(sheet, tag, a, b, largest) for tag, a, b in table] for table in tables]


def _group(sheet: Sheet, tag: str, a: int, b: int, largest: dict) -> _Group:
    rows: list[list[_Segment]] = [[] for _ in range(a, b)]
    for cell in sorted(sheet.cells, key=lambda c: (c.row, c.col)):
        top, bottom = max(cell.row, a), min(cell.row + cell.rowspan, b)
        if top >= bottom:
            continue
        classes = [name for name in (_ALIGN_CLASS[cell.align],) if name]
        if cell.row < a:
            classes.append("open-top")
        if cell.row + cell.rowspan > b:
            classes.append("open-bottom")
        with_text = largest[id(cell)] == (a, top)
        whole = top == cell.row and bottom == cell.row + cell.rowspan
        style = _planned_style(cell, sheet.metrics, whole)
        rows[top - a].append(_Segment(cell, "th" if cell.is_label else "td", bottom - top, classes, with_text, style))
    return _Group(tag, a, rows)


def _planned_style(cell: Cell, metrics, whole: bool) -> str:
    """The CSS that prints a cell as planned, where its own lines would not: as many lines tall as
    planned (where the segment is the whole cell), and wrapped narrower where the plan says
    (``Cell.narrower``: padding on the side the text is away from, or both sides of centred text).
    Only those cells have a style: WeasyPrint parses each one."""
    taller = whole and cell.lines and cell.lines > cell.printed_lines
    rules = [f"height: {cell.lines * metrics.line:.3f}pt"] if taller else []
    if cell.narrower:
        padding, extra = metrics.padding[1], cell.narrower
        sides = {"center": (extra / 2, extra / 2), "right": (extra, 0)}.get(cell.align, (0, extra))
        rules += [f"padding-left: {padding + sides[0]:.3f}pt", f"padding-right: {padding + sides[1]:.3f}pt"]
    return "; ".join(rules)


def _largest_segment(cell: Cell, tables) -> tuple[int, int]:
    """(group start, segment start) of the segment of ``cell`` with the most rows."""
    best, best_rows = None, 0
    for table in tables:
        for _, a, b in table:
            top, bottom = max(cell.row, a), min(cell.row + cell.rowspan, b)
            if bottom - top > best_rows:
                best, best_rows = (a, top), bottom - top
    return best


@functools.cache
def check_available() -> None:
    """WeasyPrint with its Pango, and a Song face, or a WriterUnavailable saying what to install."""
    try:
        _weasyprint()
    except (OSError, ImportError) as error:
        raise WriterUnavailable(
            f"生成 PDF 需要 Pango 图形库，本机没有找到（{error}）。Debian/Ubuntu 上运行："
            f"sudo apt install libpango-1.0-0 libpangoft2-1.0-0；Windows 上请安装 GTK3 运行库"
            f"（见 WeasyPrint 的安装说明）。{_ONLY_OTHERS}") from None
    ensure_cjk_font()


def preload() -> None:
    """Load WeasyPrint, Pango and the fonts now rather than at the first PDF."""
    weasy.preload()
    _font_config()


@functools.cache
def _weasyprint():
    import weasyprint  # imported on first use: it loads Pango, which takes a while

    return weasyprint


@functools.cache
def _font_config():
    ensure_cjk_font()
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def ensure_cjk_font() -> None:
    """Fail loudly when the Song face is missing, instead of printing empty boxes."""
    if shutil.which("fc-list") is None:
        raise FontMissing(f"生成 PDF 需要 fontconfig 来找中文字体，本机没有安装。Debian/Ubuntu 上运行："
                          f"sudo apt install fontconfig fonts-noto-cjk。{_ONLY_OTHERS}")
    families = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    if REQUIRED_FONT not in families and "SimSun" not in families:
        raise FontMissing(f"生成 PDF 需要中文宋体字体 {REQUIRED_FONT}（或 SimSun），本机没有安装，PDF 会缺字。"
                          f"Debian/Ubuntu 上运行：sudo apt install fonts-noto-cjk。{_ONLY_OTHERS}")
