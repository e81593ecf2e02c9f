"""Project + layout template → HTML → Sheet.

Each form kind has one Jinja2 template (``templates/<表单>.html``) that writes the
form as an HTML table. The HTML is a page a person can open in a browser, and it is
read back here into a :class:`~formgen.sheet.Sheet` that every writer translates.
The subset of HTML that carries meaning:

* ``<article class="form" data-orientation="portrait|landscape">`` holds the form;
* ``<h1>`` is the title, ``<p class="subtitle">`` and ``<p class="note">`` lines above the grid;
* one ``<table>`` whose ``<col style="width: N%">`` give the column widths;
* ``<tr class="repeat">`` marks rows printed again at the top of each page;
* ``<th>`` is a centered label, ``<td>`` a value, left-aligned unless ``class="center"``
  or ``class="amount"`` (right); ``data-amount`` holds the exact number a cell shows, which
  XLSX stores as a number;
* ``rowspan``/``colspan`` are the merges; ``<p>`` inside a cell starts a paragraph.

Values from a project file are data: autoescape is on and nothing a user writes is
ever read as template source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import jinja2

from . import scoring
from .errors import FormgenError
from .sheet import Cell, Heading, Sheet

BUILTIN_TEMPLATES = Path(__file__).parent / "templates"


def money(amount: Decimal | None) -> str:
    """``3079000`` → ``3,079,000.00``; an amount left out stays an empty cell."""
    return "" if amount is None else f"{amount:,.2f}"


def wan(yuan: Decimal | None) -> Decimal | None:
    """元 → 万元 to the cent, as the 自评表 shows amounts."""
    return None if yuan is None else scoring.wan_yuan(yuan)


_P_TAG = re.compile(r"<p>(.*?)</p>", re.S)


def paragraphs(text: str | None) -> list[str]:
    """The paragraphs of a text: each ``<p>…</p>`` of exported texts, else each line."""
    if not text:
        return []
    if _P_TAG.search(text):
        return [part for part in _P_TAG.findall(text)]
    return text.split("\n")


@dataclass
class IndicatorRow:
    """One 三级 indicator row, with the spans of the 一级 and 二级 cells that start on it."""

    level1: str
    level2: str
    name: str
    target: object
    level1_span: int  # 0 when the 一级 cell started on an earlier row
    level2_span: int


def hierarchy(tree: dict) -> list[IndicatorRow]:
    """Flatten 一级 → 二级 → 三级 into rows, giving each merged cell its span once."""
    rows = []
    for level1, groups in tree.items():
        level1_span = sum(len(items) for items in groups.values())
        for level2, items in groups.items():
            for index, (name, target) in enumerate(items.items()):
                rows.append(IndicatorRow(level1, level2, name, target, level1_span, len(items) if index == 0 else 0))
                level1_span = 0
    return rows


class TemplateError(FormgenError):
    """A layout template that cannot be rendered or that breaks the HTML subset."""


class Layouts:
    """The templates of a workspace: its own ``templates/`` first, then the built-in ones."""

    def __init__(self, override_folder: Path | None = None):
        folders = [str(override_folder)] if override_folder and override_folder.is_dir() else []
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folders + [str(BUILTIN_TEMPLATES)]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        self.environment.globals.update(money=money, wan=wan, paragraphs=paragraphs, hierarchy=hierarchy)

    def stylesheet(self) -> str:
        """The CSS every form is printed with (``form.css``, overridable like the templates)."""
        source, _, _ = self.environment.loader.get_source(self.environment, "form.css")
        return source

    def html(self, project) -> str:
        try:
            template = self.environment.get_template(f"{project.form}.html")
            return template.render(p=project)
        except jinja2.TemplateError as exc:
            where = f"{exc.filename}:{exc.lineno}" if getattr(exc, "lineno", None) else project.form
            raise TemplateError(f"模板 {where} 出错：{exc.message}") from None

    def sheet(self, project) -> Sheet:
        return parse_sheet(self.html(project), project.name)


def parse_sheet(html: str, name: str) -> Sheet:
    """Read a layout's HTML into a Sheet, placing each cell on the grid as a browser would."""
    reader = _SheetReader()
    reader.feed(html)
    reader.close()
    if not reader.widths:
        raise TemplateError(f"模板中的表格缺少 <col style=\"width: N%\"> 列宽：{name}")
    return Sheet(
        name=name,
        headings=reader.headings,
        column_widths=reader.widths,
        cells=reader.cells,
        row_count=reader.row,
        repeat_rows=tuple(reader.repeat_rows),
        orientation=reader.orientation,
    )


_WIDTH = re.compile(r"width\s*:\s*([\d.]+)\s*%")


class _SheetReader(HTMLParser):
    """Collects headings and cells; tracks which grid slots earlier rowspans already fill."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headings: list[Heading] = []
        self.widths: list[Decimal] = []
        self.cells: list[Cell] = []
        self.repeat_rows: list[int] = []
        self.orientation = "portrait"
        self.row = 0  # rows completed so far
        self.col = 0
        self.taken: set[tuple[int, int]] = set()
        self.cell: Cell | None = None
        self.heading: Heading | None = None
        self.in_table = False
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "style":
            self.in_style = True
        elif tag == "article" and "form" in classes:
            self.orientation = a.get("data-orientation", "portrait")
        elif tag == "table":
            self.in_table = True
        elif tag == "col":
            match = _WIDTH.search(a.get("style", ""))
            if match:
                self.widths.append(Decimal(match.group(1)))
        elif tag == "tr":
            self.col = 0
            if "repeat" in classes:
                self.repeat_rows.append(self.row)
        elif tag in ("td", "th"):
            while (self.row, self.col) in self.taken:
                self.col += 1
            rowspan, colspan = int(a.get("rowspan", 1)), int(a.get("colspan", 1))
            align = "right" if "amount" in classes else "left"
            if tag == "th" or "center" in classes:
                align = "center"
            amount = a.get("data-amount")
            self.cell = Cell(self.row, self.col, [""], rowspan, colspan, tag == "th", align,
                             Decimal(amount) if amount else None)
            for r in range(self.row, self.row + rowspan):
                for c in range(self.col, self.col + colspan):
                    self.taken.add((r, c))
            self.col += colspan
        elif tag == "p" and self.cell is not None:
            if self.cell.paragraphs != [""]:
                self.cell.paragraphs.append("")
        elif tag == "br" and self.cell is not None:
            self.cell.paragraphs.append("")
        elif tag == "h1" and not self.in_table:
            self.heading = Heading("", "title")
        elif tag == "p" and not self.in_table and classes[:1] in (["subtitle"], ["note"]):
            self.heading = Heading("", classes[0], "left" if classes[0] == "note" else "center")

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
        elif tag == "table":
            self.in_table = False
        elif tag == "tr":
            self.row += 1
        elif tag in ("td", "th") and self.cell is not None:
            if self.cell.paragraphs == [""]:
                self.cell.paragraphs = []
            self.cells.append(self.cell)
            self.cell = None
        elif tag in ("h1", "p") and self.heading is not None:
            self.headings.append(self.heading)
            self.heading = None

    def handle_data(self, data):
        if self.in_style:
            return
        if self.cell is not None:
            self.cell.paragraphs[-1] += data
        elif self.heading is not None:
            self.heading.text += data.strip()
