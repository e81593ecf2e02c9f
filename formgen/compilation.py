"""A unit's 汇总表: every form of a folder in one DOCX, one XLSX and one PDF.

The compilation is what a unit submits and publishes (FORMS.md §4). Its first page
carries the title from ``formgen.yaml``; each form then starts on a new page (in
DOCX a section of its own, so a landscape 自评表 stays landscape). The workbook
opens on an index sheet (序号, 项目名称, 项目资金, a link to the form's sheet).
The PDF is the title page followed by the forms' own PDFs, bookmarked by name:
merging pages already printed is far cheaper than laying every form out again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .sheet import BODY_FONT, Sheet


@dataclass
class Member:
    """One form of a compilation: its grid and the amount the index lists."""

    sheet: Sheet
    form: str
    amount: Decimal | None


def write_docx(title: str, members: list[Member], path) -> None:
    from docx.enum.section import WD_SECTION

    from .writers import docx

    document = docx.new_document(members[0].sheet)
    docx.set_page(document.sections[0], "portrait")
    docx.append_title(document, title)
    for member in members:
        section = document.add_section(WD_SECTION.NEW_PAGE)
        docx.set_page(section, member.sheet.orientation)
        docx.append_sheet(document, member.sheet)
    document.save(path)


def write_xlsx(title: str, members: list[Member], path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.worksheet.hyperlink import Hyperlink

    from .writers import xlsx

    workbook = Workbook()
    index = workbook.active
    index.title = "目录"
    taken = {index.title}
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    index.merge_cells("A1:D1")
    xlsx.set_text(index["A1"], title)
    index["A1"].font = Font(name=BODY_FONT, size=16, bold=True)
    index["A1"].alignment = Alignment(horizontal="center")
    index.row_dimensions[1].height = 32
    for column, (label, width) in enumerate((("序号", 8), ("项目名称", 48), ("项目资金（元）", 20), ("表单", 12)), 1):
        cell = index.cell(row=2, column=column, value=label)
        cell.font, cell.border = Font(name=BODY_FONT, bold=True), border
        cell.alignment = Alignment(horizontal="center")
        index.column_dimensions[cell.column_letter].width = width
    for number, member in enumerate(members, 1):
        name = xlsx.sheet_title(member.sheet.name, taken)
        taken.add(name)
        xlsx.fill_worksheet(workbook.create_sheet(name), member.sheet)
        row = 2 + number
        index.cell(row=row, column=1, value=number)
        link = index.cell(row=row, column=2)
        xlsx.set_text(link, member.sheet.name)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{name}'!A1")  # within the workbook
        link.font = Font(name=BODY_FONT, color="0563C1", underline="single")
        amount = index.cell(row=row, column=3, value=member.amount)
        amount.number_format = xlsx.MONEY_FORMAT
        xlsx.set_text(index.cell(row=row, column=4), member.form)
        for column in range(1, 5):
            index.cell(row=row, column=column).border = border
            if column != 2:
                index.cell(row=row, column=column).font = Font(name=BODY_FONT)
    index.print_title_rows = "2:2"
    workbook.save(path)


def write_pdf(title: str, pages: list[tuple[str, str]], path, css: str, covers: Path) -> None:
    """The title page, then each form's own PDF (name, path), bookmarked by name."""
    from pypdf import PdfWriter

    cover = title_page(title, css, covers)
    writer = PdfWriter()
    writer.append(cover, import_outline=False)
    for name, pdf in pages:
        writer.append(pdf, outline_item=name, import_outline=False)
    writer.add_metadata({"/Title": title})
    with open(path, "wb") as file:
        writer.write(file)


def title_page(title: str, css: str, covers: Path) -> Path:
    """The PDF page holding a compilation's title, printed once and kept in ``covers``: an
    edit of one form then rebuilds its 汇总表 PDF without starting WeasyPrint for the title."""
    from .writers import pdf

    key = hashlib.sha256(f"{title}\0{css}\0{pdf.font_faces_key()}".encode()).hexdigest()[:20]
    page = covers / f"title-{key}.pdf"
    if not page.is_file():
        covers.mkdir(parents=True, exist_ok=True)
        temporary = page.with_suffix(f".{os.getpid()}.part")
        pdf.write_title_page(title, temporary, css)
        os.replace(temporary, page)
    return page
