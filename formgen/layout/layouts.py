"""Project → Sheet through the workspace's layout templates.

Each form kind has one Jinja2 template (``templates/<表单>.html``) that writes the
form as an HTML table: a page a person can open in a browser, read back by ``html``
into the :class:`~formgen.layout.sheet.Sheet` every writer translates. A workspace's
own ``templates/`` folder overrides the built-in one, file by file.

Values from a project file are data: autoescape is on and nothing a user writes is
ever read as template source. Templates themselves may come from someone else (a
shared workspace), so they run in Jinja's immutable sandbox and see only what the
template contract (docs/templates.md) names: no attribute starting with ``_``, no
way to reach Python's modules, nothing they can change; and within a budget of time
and size, reading only real files of the workspace (``sandbox``). Whatever goes wrong
while a template runs is a ``TemplateError`` naming the template's file and line: it
fails that form only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import jinja2
from jinja2.sandbox import safe_range

from ..files import display_path
from ..money import money, wan_yuan
from ..wording import format_amount, format_date, reword
from .html import MAX_SPAN, TemplateError, parse_sheet
from .sandbox import BudgetExceeded, Sandbox, render_budget
from .sheet import Sheet

BUILTIN_TEMPLATES = Path(__file__).parent.parent / "templates"
# What one render may write: a form at the bounds (2 M characters of project text) writes about 5 M.
MAX_HTML_CHARACTERS = 20_000_000
MAX_ROWS = MAX_SPAN  # a form at the bounds (500 三级 indicators) has about 520
MAX_CELLS = 20 * MAX_ROWS
MAX_CELL_CHARACTERS = 32767  # what an Excel cell holds; the loader's bound on a text


def wan(yuan: Decimal | None) -> Decimal | None:
    """元 → 万元 to the cent, as the 自评表 shows amounts."""
    return None if yuan is None else wan_yuan(yuan)


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
    value: object  # the 指标值 text; for a 自评表 the whole evaluation
    level1_span: int  # 0 when the 一级 cell started on an earlier row
    level2_span: int

    @property
    def target(self):
        """The name templates exported before 2026-11 use for ``value``."""
        return self.value


def hierarchy(tree: dict) -> list[IndicatorRow]:
    """Flatten 一级 → 二级 → 三级 into rows, giving each merged cell its span once."""
    rows = []
    for level1, groups in tree.items():
        level1_span = sum(len(items) for items in groups.values())
        for level2, items in groups.items():
            for index, (name, value) in enumerate(items.items()):
                rows.append(IndicatorRow(level1, level2, name, value, level1_span, len(items) if index == 0 else 0))
                level1_span = 0
    return rows


class Layouts:
    """The templates of a project: the ``templates/`` folders of its workspace, nearest first, then
    the built-in ones; each file found in a nearer folder replaces the same file further out."""

    def __init__(self, override_folders: tuple[Path, ...] = ()):
        folders = [str(folder) for folder in override_folders if folder.is_dir() or folder.is_symlink()]
        self.environment = Sandbox(folders + [str(BUILTIN_TEMPLATES)], autoescape=True,
                                   undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
        # Only what the template contract names: Jinja's other globals (cycler, joiner, lipsum…) go.
        self.environment.globals = {"money": money, "date": format_date, "wan": wan, "paragraphs": paragraphs,
                                    "hierarchy": hierarchy, "range": safe_range}

    def stylesheet(self) -> str:
        """The CSS every form is printed with (``form.css``, overridable like the templates)."""
        try:
            source, _, _ = self.environment.loader.get_source(self.environment, "form.css")
        except jinja2.TemplateError as exc:
            raise TemplateError(f"模板 form.css 出错：{exc.message}") from None
        return source

    def html(self, project) -> str:
        """The form's page; ``money`` and ``date`` print in the project's style. A template that
        fails, or goes over its budget, is a TemplateError saying where."""
        written, parts = 0, []
        try:
            with render_budget():
                template = self.environment.get_template(f"{project.form}.html")
                for part in template.generate(p=project, date=lambda day: format_date(day, project.date_style),
                                              money=lambda amount: format_amount(amount, project.amount_decimals)):
                    written += len(part)
                    if written > MAX_HTML_CHARACTERS:
                        raise BudgetExceeded(f"模板写出的内容超过 {MAX_HTML_CHARACTERS:,} 字，已停止")
                    parts.append(part)
        except Exception as exc:  # noqa: BLE001 - a template is a program: any error of it is the template's
            raise TemplateError(f"模板 {_where(exc, project.form)} 出错：{_explained(exc)}") from None
        return "".join(parts)

    def sheet(self, project) -> Sheet:
        html = self.html(project)
        try:
            sheet = parse_sheet(html, project.name)
            _check_size(sheet)
        except TemplateError as error:
            template = display_path(Path(self.environment.get_template(f"{project.form}.html").filename))
            raise TemplateError(f"模板 {template} 出错：{error}") from None
        sheet.stylesheet = self.stylesheet()
        sheet.author = getattr(project, "implementer", None) or getattr(project, "unit", None) or \
            getattr(project, "department", None) or ""
        if project.wording:  # the unit's own words for labels and titles, in every format alike
            for cell in sheet.cells:
                if cell.is_label:
                    cell.paragraphs = [reword(text, project.wording) for text in cell.paragraphs]
            for heading in sheet.headings:
                heading.text = reword(heading.text, project.wording)
        return sheet


def _check_size(sheet: Sheet) -> None:
    """A grid the writers can print: the built-in templates stay far inside these bounds."""
    if sheet.row_count > MAX_ROWS or len(sheet.cells) > MAX_CELLS:
        raise TemplateError(f"生成的表格过大（{sheet.row_count:,} 行、{len(sheet.cells):,} 格），"
                            f"一张表最多 {MAX_ROWS:,} 行、{MAX_CELLS:,} 格")
    longest = max((len(cell.text) for cell in sheet.cells), default=0)
    if longest > MAX_CELL_CHARACTERS:
        raise TemplateError(f"在一个单元格中写了 {longest:,} 字，超过 Excel 单元格的上限 {MAX_CELL_CHARACTERS:,} 字")


def _where(exc: Exception, form: str) -> str:
    """The template file and line an error happened at: Jinja gives a syntax error's, and rewrites
    a runtime error's traceback so that its frames are the template's lines."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return f"{display_path(Path(exc.filename))}:{exc.lineno}"
    where = f"{form}.html"
    traceback = exc.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".css")):
            where = f"{display_path(Path(filename))}:{traceback.tb_lineno}"
        traceback = traceback.tb_next
    return where


def _explained(exc: Exception) -> str:
    """What went wrong, in Chinese; Python's own words only in brackets, for the template's author."""
    if isinstance(exc, BudgetExceeded):
        return str(exc)
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"找不到模板 {exc.name}"
    if isinstance(exc, jinja2.UndefinedError):
        return f"用到了不存在的名称或字段（{exc.message}）"
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return f"模板不允许这样做（{exc.message}）"
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"模板语法有误（{exc.message}）"
    if isinstance(exc, jinja2.TemplateError):
        return exc.message or type(exc).__name__
    if isinstance(exc, ZeroDivisionError):
        return "除数为 0"
    if isinstance(exc, RecursionError):
        return "递归过深：宏或 include 调用了自己"
    if isinstance(exc, MemoryError):
        return "内存不足"
    if isinstance(exc, OverflowError) or (isinstance(exc, ValueError) and "digits" in str(exc)):
        return "数值过大"
    return f"模板运行出错（{type(exc).__name__}: {exc}）"
