"""Sheet → DOCX with python-docx: real ``gridSpan``/``vMerge`` merges, 宋体 set for CJK text.

A 汇总表 is one document: its title alone on the first page, then each form in a
section of its own, so that a landscape 自评表 stays landscape.

Rows are built as WordprocessingML elements directly: python-docx's ``table.cell()``
API re-scans the table for every access and is slow on long indicator tables.

Nothing vertical is left to the face Word or WPS substitutes for 宋体: every paragraph of a form
has an exact line pitch (the plan's, ``Sheet.metrics``), cell margins are the PDF's padding, every
row is at least as tall as the plan made it (``Cell.lines``), the template's paragraph defaults
(1.15 lines, 10 pt after) are neutralised, and the footer sits inside the bottom margin. So a page
holds the rows the plan gave it, whatever the face.

Word repeats header rows only from the top of a table, so when a sheet's repeating
rows sit mid-grid (the indicator header of a 申报表), the grid is written as two
tables, the second starting with those rows, joined by a paragraph a tenth of a point
tall: two tables with nothing between them are merged into one by Word and LibreOffice,
and the header would no longer repeat. The first table has no bottom rule there, so
the joint prints as one rule and the grid's vertical rules run on through it.
"""

from __future__ import annotations

import datetime

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import nsmap, qn
from docx.shared import Mm, Pt
from lxml import etree

from ..layout.sheet import BODY_FONT, MARGIN_MM, PAGE_SIZES_MM, Cell, Compilation, Sheet
from .measure import splittable_rows

TWIPS_PER_MM = 1440 / 25.4
TWIPS_PER_PT = 20
_FOOTER_PT = 9
_FOOTER_LINE_PT = 12


def write(sheet: Sheet, path) -> None:
    document = _new_document(sheet)
    _set_properties(document, sheet.name, sheet.author)
    _set_footer(document.sections[0], sheet, "NUMPAGES")
    _append_sheet(document, sheet)
    document.save(path)


def write_compilation(compilation: Compilation, path) -> None:
    document = _new_document(compilation.members[0].sheet)
    _set_properties(document, compilation.title, compilation.members[0].sheet.author)
    _set_page(document.sections[0], "portrait")
    _append_title(document, compilation.title_lines)
    for member in compilation.members:
        section = document.add_section(WD_SECTION.NEW_PAGE)
        _set_page(section, member.sheet.orientation)
        _set_footer(section, member.sheet, "SECTIONPAGES")  # each form numbers its own pages…
        _restart_page_numbers(section)  # …from 1
        _append_sheet(document, member.sheet)
    document.save(path)


def _set_properties(document, title: str, author: str) -> None:
    """Say what the document is, instead of python-docx's own template (its author, its 2013)."""
    properties = document.core_properties
    properties.title, properties.author, properties.last_modified_by = title, author, author
    properties.created = properties.modified = datetime.datetime.now()
    properties.comments = properties.keywords = properties.subject = ""


def _set_footer(section, sheet: Sheet, pages_field: str) -> None:
    """The running footer: the form's name and 第 N 页 共 M 页. ``pages_field`` counts the pages:
    NUMPAGES for a form's own document, SECTIONPAGES in a 汇总表. Word and WPS update the fields;
    LibreOffice does not update SECTIONPAGES and shows the value saved with it, so that value is
    the planned count."""
    footer = section.footer
    footer.is_linked_to_previous = False
    # Its line centred in the bottom margin, as the PDF's: inside the margin, so that it never
    # pushes the body up (python-docx's 12.7 mm and 1.15 lines reached above the 15 mm margin).
    section.footer_distance = Mm(MARGIN_MM / 2) - Pt(_FOOTER_LINE_PT / 2)
    paragraph = footer.paragraphs[0]._p
    for child in list(paragraph):
        paragraph.remove(child)
    properties = _child(paragraph, "w:pPr")
    _child(properties, "w:spacing", _spacing(_FOOTER_LINE_PT))
    _child(properties, "w:jc", {"w:val": "center"})
    before, middle, after = sheet.footer_parts
    for text, field, value in ((before, "PAGE", 1), (middle, pages_field, sheet.page_count or 1), (after, None, None)):
        _footer_run(paragraph, text)
        if field:
            simple = _child(paragraph, "w:fldSimple", {"w:instr": f" {field} "})
            _footer_run(simple, str(value))


def _restart_page_numbers(section) -> None:
    """Number this section's pages from 1 (``w:pgNumType``, in its place among the section's
    properties: Word refuses a document whose elements are out of the schema's order). A new
    section is a copy of the one before, its ``w:pgNumType`` included: set that one, or the
    k-th form would carry k of them, which the schema does not allow."""
    numbering = section._sectPr.find(qn("w:pgNumType"))
    if numbering is None:
        numbering = OxmlElement("w:pgNumType")
        section._sectPr.insert_element_before(numbering, "w:cols", "w:formProt", "w:vAlign", "w:noEndnote",
                                              "w:titlePg", "w:textDirection", "w:bidi", "w:rtlGutter", "w:docGrid",
                                              "w:printerSettings", "w:sectPrChange")
    numbering.set(qn("w:start"), "1")


def _footer_run(parent, text: str) -> None:
    run = _child(parent, "w:r")
    run_properties = _child(run, "w:rPr")
    _child(run_properties, "w:sz", {"w:val": str(2 * _FOOTER_PT)})
    _child(run, "w:t", {"xml:space": "preserve"}).text = text


def _new_document(sheet: Sheet):
    """An empty A4 document whose default font is 宋体 for both Latin and East Asian text."""
    document = Document()
    _make_chinese(document)
    _set_fonts(document, float(sheet.font_size_pt))
    _set_page(document.sections[0], sheet.orientation)
    body = document.element.body  # drop the template's empty first paragraph
    for paragraph in body.findall(qn("w:p")):
        body.remove(paragraph)
    return document


# How Word declares 宋体 in a document's font table: the name Word and WPS look for, its Latin
# name for systems with no Chinese names (w:altName), the GB2312 character set (86) and its
# PANOSE and Unicode ranges, by which Word picks a substitute where 宋体 is missing.
_SONG_FONT = (f'<w:font xmlns:w="{nsmap["w"]}" w:name="{BODY_FONT}"><w:altName w:val="SimSun"/>'
              '<w:panose1 w:val="02010600030101010101"/><w:charset w:val="86"/><w:family w:val="auto"/>'
              '<w:pitch w:val="variable"/><w:sig w:usb0="00000003" w:usb1="288F0000" w:usb2="00000016"'
              ' w:usb3="00000000" w:csb0="00040001" w:csb1="00000000"/></w:font>')
_LANGUAGE = "zh-CN"
_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def _make_chinese(document) -> None:
    """Turn python-docx's template, a US English Word 2010 document with Japanese theme fonts,
    into a Chinese one: its text tagged zh-CN (Word's and WPS's proofing, and the fonts an office
    suite without 宋体 falls back on, follow it), its theme fonts chosen for zh-CN (宋体, not
    ＭＳ 明朝), 宋体 declared in the font table instead of the Japanese faces, and without the
    parts that would contradict the document: the template's stale copy of its styles for Word
    2007 (stylesWithEffects), which no longer matches styles.xml, and the picture of a blank
    page that file browsers would show as its preview."""
    for rels, reltype in ((document.part.rels, _STYLES_WITH_EFFECTS), (document.part.package.rels, RT.THUMBNAIL)):
        for rel_id in [rel_id for rel_id, rel in rels.items() if rel.reltype == reltype]:
            del rels[rel_id]
    settings = document.settings.element
    for leftover in settings.findall(qn("w:savePreviewPicture")):
        settings.remove(leftover)
    for language in (*settings.findall(qn("w:themeFontLang")), *document.styles.element.iter(qn("w:lang"))):
        language.set(qn("w:val"), _LANGUAGE)
        language.set(qn("w:eastAsia"), _LANGUAGE)
    font_table = document.part.part_related_by(RT.FONT_TABLE)
    fonts = etree.fromstring(font_table.blob)
    for japanese in [font for font in fonts if font.get(qn("w:name"), "").startswith("ＭＳ")]:
        fonts.remove(japanese)
    fonts.insert(0, etree.fromstring(_SONG_FONT))
    font_table._blob = etree.tostring(fonts, xml_declaration=True, encoding="UTF-8", standalone=True)


def _append_title(document, lines: list[str]) -> None:
    """A compilation's title, alone on its first page, a paragraph a line."""
    anchor = document.element.body.find(qn("w:sectPr"))
    for index, line in enumerate(lines):
        anchor.addprevious(_paragraph(line, "center", _spacing(before_pt=0 if index else 200), 22, bold=True))


def _append_sheet(document, sheet: Sheet) -> None:
    """Append one form: its headings, then its grid as tables: the rows above the repeating header,
    then one table a planned page (``sheet.page_starts``), each opening on a new page with the
    header rows again. Word and LibreOffice ignore a page break asked for inside a table, so the
    planned pages are tables of their own."""
    body = document.element.body
    anchor = body.find(qn("w:sectPr"))
    for heading in sheet.headings:
        line, margins = sheet.metrics.heading(heading.kind)
        anchor.addprevious(_paragraph(heading.text, heading.align, _spacing(line, after_pt=margins), heading.size_pt,
                                      heading.bold))
    header = min(sheet.repeat_rows) if sheet.repeat_rows else None
    edges = sorted({0, sheet.row_count, *sheet.page_starts, *([header] if header else [])})
    previous = None
    for first, end in zip(edges, edges[1:]):
        new_page = first in sheet.page_starts
        if previous is not None:
            if not new_page:  # one rule where the two tables meet, the second table's top
                _open_bottom(previous)
            anchor.addprevious(_joint(new_page))
        copies = sheet.repeat_rows if new_page and header is not None and first > header else ()
        previous = _table(sheet, first, end, copies)
        anchor.addprevious(previous)


def _set_fonts(document, size_pt: float) -> None:
    # python-docx's font.name leaves w:eastAsia unset, and Chinese text then falls
    # back to another face: set it in the document defaults and the Normal style.
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for element in (run_defaults, document.styles["Normal"].element.get_or_add_rPr()):
        fonts = element.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            element.insert(0, fonts)
        for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attribute), BODY_FONT)
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(theme), None)
    document.styles["Normal"].font.size = Pt(size_pt)
    document.styles["Normal"].paragraph_format.space_after = Pt(0)
    _neutralise_paragraph_defaults(defaults)


def _neutralise_paragraph_defaults(defaults) -> None:
    """No space around paragraphs, single lines, and no space Word and WPS would add between CJK and
    Latin text or digits (``autoSpaceDE``/``autoSpaceDN``, on unless said otherwise: a quarter em
    each that the plan does not count)."""
    paragraph_defaults = defaults.find(qn("w:pPrDefault"))
    if paragraph_defaults is None:
        paragraph_defaults = _child(defaults, "w:pPrDefault")
    old = paragraph_defaults.find(qn("w:pPr"))
    if old is not None:
        paragraph_defaults.remove(old)
    properties = _child(paragraph_defaults, "w:pPr")
    _child(properties, "w:autoSpaceDE", {"w:val": "0"})
    _child(properties, "w:autoSpaceDN", {"w:val": "0"})
    _child(properties, "w:spacing", {"w:before": "0", "w:after": "0", "w:line": "240", "w:lineRule": "auto"})


def _set_page(section, orientation: str) -> None:
    width, height = PAGE_SIZES_MM[orientation]
    section.orientation = WD_ORIENT.LANDSCAPE if orientation == "landscape" else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(width), Mm(height)
    section.left_margin = section.right_margin = Mm(MARGIN_MM)
    section.top_margin = section.bottom_margin = Mm(MARGIN_MM)


def _table(sheet: Sheet, first: int, end: int, header_copies: tuple[int, ...] = ()):
    """The rows ``first`` to ``end`` as a table, after copies of the ``header_copies`` rows."""
    widths = [round(mm * TWIPS_PER_MM) for mm in sheet.column_widths_mm()]
    table = _element("w:tbl")
    properties = _child(table, "w:tblPr")
    _child(properties, "w:tblW", {"w:w": str(sum(widths)), "w:type": "dxa"})
    _child(properties, "w:jc", {"w:val": "center"})
    metrics = sheet.metrics
    borders = _child(properties, "w:tblBorders")
    rule = str(round(metrics.rule * 8))  # eighths of a point
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        _child(borders, f"w:{side}", {"w:val": "single", "w:sz": rule, "w:space": "0", "w:color": "000000"})
    _child(properties, "w:tblLayout", {"w:type": "fixed"})
    margins = _child(properties, "w:tblCellMar")  # the PDF's padding
    above, beside = (str(round(pt * TWIPS_PER_PT)) for pt in metrics.padding)
    for side, twips in (("top", above), ("left", beside), ("bottom", above), ("right", beside)):
        _child(margins, f"w:{side}", {"w:w": twips, "w:type": "dxa"})
    grid = _child(table, "w:tblGrid")
    for width in widths:
        _child(grid, "w:gridCol", {"w:w": str(width)})

    owner = sheet.slot_owners()
    splittable = splittable_rows(sheet)
    heights = _row_heights(sheet)
    spacing = _spacing(metrics.line)  # the same for every paragraph of every cell
    rows = [(row, True) for row in header_copies] + [(row, False) for row in range(first, end)]
    for row, copy in rows:
        tr = _child(table, "w:tr")
        row_properties = _child(tr, "w:trPr")
        if row not in splittable:  # a very tall row must split, or Word clips its text
            _child(row_properties, "w:cantSplit")
        if heights:  # as tall as planned; taller only if Word needs more than the plan allowed for
            _child(row_properties, "w:trHeight", {"w:val": str(heights[row]), "w:hRule": "atLeast"})
        if row in sheet.repeat_rows:
            _child(row_properties, "w:tblHeader")
        col = 0
        while col < sheet.column_count:
            cell = owner[row, col]
            width = sum(widths[cell.col : cell.col + cell.colspan])
            if copy:  # the header again: its own cells, and blank ones where a merge runs on below it
                inside = cell.row + cell.rowspan - 1 <= max(sheet.repeat_rows)
                tr.append(_cell(cell, width, spacing, True, False, keep_with_next=True, with_text=inside))
            else:
                starts_here = cell.row == row or row == first  # a cell crossing the split restarts
                tr.append(_cell(cell, width, spacing, starts_here, continues=cell.row + cell.rowspan - 1 > row,
                                keep_with_next=row in sheet.keep_rows))
            col = cell.col + cell.colspan
    return table


def _open_bottom(table) -> None:
    """No rule under a table's last row: the table printed right below draws it (two rules one
    joint apart print as a double rule)."""
    bottom = table.find(qn("w:tblPr")).find(qn("w:tblBorders")).find(qn("w:bottom"))
    for name in list(bottom.attrib):
        del bottom.attrib[name]
    bottom.set(qn("w:val"), "nil")


def _row_heights(sheet: Sheet) -> list[int]:
    """Each row's planned height in twips, or nothing where the sheet was not planned (no Pango)."""
    if any(cell.lines is None for cell in sheet.cells):
        return []
    return [round(pt * TWIPS_PER_PT) for pt in sheet.row_heights(lambda c: sheet.metrics.cell_height(c.lines))]


def _line_twips(pt: float) -> int:
    """An exact line pitch in twips, never more than the plan's (Word's lines then fit its rows)."""
    return int(pt * TWIPS_PER_PT)


def _spacing(line_pt: float | None = None, after_pt: float = 0, before_pt: float = 0) -> dict[str, str]:
    """A paragraph's ``w:spacing``: space before and after it, and its exact line pitch if given."""
    spacing = {"w:before": str(round(before_pt * TWIPS_PER_PT)), "w:after": str(round(after_pt * TWIPS_PER_PT))}
    if line_pt:
        spacing.update({"w:line": str(_line_twips(line_pt)), "w:lineRule": "exact"})
    return spacing


def _joint(new_page: bool = False):
    """A paragraph a tenth of a point tall between two tables: keeps them two tables (so the
    second can repeat its header) while they print as one grid; ``new_page`` starts the next on
    a new page."""
    p = _element("w:p")
    properties = _child(p, "w:pPr")
    if new_page:
        _child(properties, "w:pageBreakBefore")
    _child(properties, "w:spacing", {"w:before": "0", "w:after": "0", "w:line": "2", "w:lineRule": "exact"})
    run_properties = _child(properties, "w:rPr")
    _child(run_properties, "w:sz", {"w:val": "2"})
    return p


def _cell(cell: Cell, width: int, spacing: dict[str, str], starts_here: bool, continues: bool,
          keep_with_next: bool = False, with_text: bool = True):
    tc = _element("w:tc")
    properties = _child(tc, "w:tcPr")
    _child(properties, "w:tcW", {"w:w": str(width), "w:type": "dxa"})
    if cell.colspan > 1:
        _child(properties, "w:gridSpan", {"w:val": str(cell.colspan)})
    if not starts_here:
        _child(properties, "w:vMerge")
    elif continues:
        _child(properties, "w:vMerge", {"w:val": "restart"})
    _child(properties, "w:vAlign", {"w:val": "center"})
    texts = cell.paragraphs if starts_here and with_text and cell.paragraphs else [""]
    for text in texts:
        tc.append(_paragraph(text, cell.align, spacing, keep_with_next=keep_with_next))
    return tc


def _paragraph(text: str, align: str, spacing: dict[str, str], size_pt: float | None = None, bold: bool = False,
               keep_with_next: bool = False):
    """A paragraph of one run, spaced as ``_spacing`` says."""
    p = _element("w:p")
    properties = _child(p, "w:pPr")
    if keep_with_next:  # in a table row: Word and LibreOffice keep the row with the next one
        _child(properties, "w:keepNext")
    _child(properties, "w:spacing", spacing)
    _child(properties, "w:jc", {"w:val": align})
    if text:
        run = _child(p, "w:r")
        if size_pt or bold:
            run_properties = _child(run, "w:rPr")
            if bold:
                _child(run_properties, "w:b")
            if size_pt:
                _child(run_properties, "w:sz", {"w:val": str(round(size_pt * 2))})
                _child(run_properties, "w:szCs", {"w:val": str(round(size_pt * 2))})
        _child(run, "w:t", {"xml:space": "preserve"}).text = text
    return p


def _element(tag: str):
    """A new WordprocessingML element. Built with lxml directly: python-docx's OxmlElement
    parses a small document for every element, which was a third of a DOCX's time."""
    return etree.Element(qn(tag), nsmap={"w": nsmap["w"]})


def _child(parent, tag: str, attributes: dict[str, str] | None = None):
    return etree.SubElement(parent, qn(tag), {qn(name): value for name, value in (attributes or {}).items()})
