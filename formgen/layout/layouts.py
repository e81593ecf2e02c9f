"""Project → Sheet through the workspace's layout templates.

Each form kind has one Jinja2 template (``templates/<表单>.html``) that writes the
form as an HTML table: a page a person can open in a browser, read back by ``html``
into the :class:`~formgen.layout.sheet.Sheet` every writer translates. A workspace's
own ``templates/`` folder overrides the built-in one, file by file.

Values from a project file are data: autoescape is on and nothing a user writes is
ever read as template source. Templates themselves may come from someone else (a
shared workspace), so they run in Jinja's immutable sandbox and see only what the
template contract (docs/templates.md) names: no attribute starting with ``_``, no
way to reach Python's modules, nothing they can change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

from ..money import money, wan_yuan
from ..wording import format_amount, format_date, reword
from .html import TemplateError, parse_sheet
from .sheet import Sheet

BUILTIN_TEMPLATES = Path(__file__).parent.parent / "templates"


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
        folders = [str(folder) for folder in override_folders if folder.is_dir()]
        self.environment = ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader(folders + [str(BUILTIN_TEMPLATES)]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        # Only what the template contract names: Jinja's other globals (cycler, joiner, lipsum…) go.
        self.environment.globals = {"money": money, "date": format_date, "wan": wan, "paragraphs": paragraphs,
                                    "hierarchy": hierarchy, "range": safe_range}

    def stylesheet(self) -> str:
        """The CSS every form is printed with (``form.css``, overridable like the templates)."""
        source, _, _ = self.environment.loader.get_source(self.environment, "form.css")
        return source

    def html(self, project) -> str:
        """The form's page; ``money`` and ``date`` print in the project's own style."""
        try:
            template = self.environment.get_template(f"{project.form}.html")
            return template.render(p=project, money=lambda amount: format_amount(amount, project.amount_decimals),
                                   date=lambda day: format_date(day, project.date_style))
        except jinja2.TemplateError as exc:
            where = f"{exc.filename}:{exc.lineno}" if getattr(exc, "lineno", None) else project.form
            raise TemplateError(f"模板 {where} 出错：{exc.message}") from None

    def sheet(self, project) -> Sheet:
        sheet = parse_sheet(self.html(project), project.name)
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
