"""A PDF's pages → their ruled tables and lines of text, read in a process of its own.

pdfminer (under pdfplumber) inflates streams and interprets drawings without limits of its
own, so a hostile PDF of a few KB could take gigabytes or hours; :mod:`.pdf` runs this
module as a child process under a memory and a time limit, and it prints what it read as
JSON. Nothing here depends on where a program draws a form or which font it uses:

* the table of a page is found from its rules (pdfplumber's table finder); where a row runs
  over the page, or a merged cell goes on on the next, the cut is not ruled: the ends of the
  vertical rules close it, and the cells there are marked open;
* a cell's text is its characters, line by line, each with its paragraph where the PDF is
  tagged (:mod:`.pdftags`); lines become paragraphs by tags and widths (:mod:`.pdftext`),
  once the whole document has shown how wide its cells' text could be (:mod:`.pdfroom`) and
  whether it draws the space a line wraps at;
* characters drawn off the page (a program that clips text it cannot fit) are counted, and
  text inside a table but in no cell is kept as stray, so that nothing is lost unsaid.
"""

from __future__ import annotations

import json
import sys

from .pdfroom import set_available
from .pdftags import Structure, marked_content_device
from .pdftext import line_text, paragraphs

MAX_PAGES = 500
MAX_OBJECTS_PER_PAGE = 100_000  # characters and rules; a form's page has some 2,000


def extract(path: str) -> dict:
    import pdfplumber

    pdfplumber.page.PDFPageAggregatorWithMarkedContent = marked_content_device()  # nested, with actual texts
    pages = []
    with pdfplumber.open(path) as pdf:
        if len(pdf.pages) > MAX_PAGES:
            return {"error": "pages", "pages": len(pdf.pages)}
        structure = Structure(pdf.doc.catalog)
        for number, page in enumerate(pdf.pages, 1):
            if len(page.chars) + len(page.edges) > MAX_OBJECTS_PER_PAGE:
                return {"error": "objects", "page": number}
            pages.append(_page(page, number, structure.paragraphs(page.page_obj.attrs.get("StructParents"))))
            page.close()
    # A line that wraps at a space ends with it where the program draws it: one such line
    # anywhere shows that a line ending without one wrapped at none.
    hidden = not any(page.pop("wraps_at_drawn_space") for page in pages)
    set_available([[cell for table in page["tables"] for cell in table["cells"]] for page in pages])
    for page in pages:
        spacing = {**page.pop("spacing"), "hidden": hidden}
        for table in page["tables"]:
            for cell in table["cells"]:
                lines, available = cell.pop("lines"), cell.pop("available")
                cell["paragraphs"], cell["uncertain"], cell["tail"], cell["head"] = paragraphs(lines, available, spacing)
    return {"pages": pages}


def _page(page, number: int, tagged: dict[int, int]) -> dict:
    width, height = float(page.width), float(page.height)
    drawn = [c for c in page.chars if c["text"]]  # not the glyphs after the first of an actual text
    inside = [_plain_character(c, tagged) for c in drawn
              if c["x1"] > 0 and c["x0"] < width and c["bottom"] > 0 and c["top"] < height]
    rules = _rules(page.edges)
    settings = {"vertical_strategy": "lines", "horizontal_strategy": "lines",
                "explicit_horizontal_lines": _open_ends(page.edges, rules)}
    tables = sorted(page.find_tables(settings), key=lambda t: t.bbox[1])
    boxes = [cell for table in tables for cell in table.cells]
    placed: dict[int, list] = {index: [] for index in range(len(boxes))}
    outside, stray = [], []
    for char in inside:
        middle = ((char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2)
        owner = next((i for i, (x0, top, x1, bottom) in enumerate(boxes)
                      if x0 <= middle[0] <= x1 and top <= middle[1] <= bottom), None)
        if owner is not None:
            placed[owner].append(char)
        elif any(t.bbox[0] <= middle[0] <= t.bbox[2] and t.bbox[1] <= middle[1] <= t.bbox[3] for t in tables):
            stray.append(char)
        else:
            outside.append(char)
    spaces_drawn = any(c["text"].isspace() for c in inside)
    read_tables, index = [], 0
    for table in tables:
        cells = []
        for box in table.cells:
            cells.append(_cell(box, placed[index], rules))
            index += 1
        read_tables.append({"bbox": list(table.bbox), "cells": cells})
    return {"number": number, "clipped": len(drawn) - len(inside), "tables": read_tables,
            "lines": [{"top": line[0]["top"], "bottom": line[0]["bottom"], "text": line_text(line, spaces_drawn)}
                      for line in _lines(outside)],
            "stray": [line_text(line, spaces_drawn) for line in _lines(stray)],
            "spacing": {"drawn": spaces_drawn, "widths": _space_widths(inside)},
            "wraps_at_drawn_space": any(line[-1]["text"].isspace() and len(line) > 1
                                        for table in read_tables for cell in table["cells"] for line in cell["lines"][:-1])}


def _plain_character(char: dict, tagged: dict[int, int]) -> dict:
    """What a character is to the reading of text: its text and box, and its paragraph where the
    PDF is tagged (else None). A space some programs map to U+3000 (the CJK font's space glyph)
    although it is as narrow as an ASCII one is one: a full-width space is as wide as the text."""
    text = char["text"]
    if text == "\u3000" and char["x1"] - char["x0"] < 0.75 * char["size"]:
        text = " "
    return {"text": text, "x0": char["x0"], "x1": char["x1"], "top": char["top"], "bottom": char["bottom"],
            "size": char["size"], "paragraph": tagged.get(char.get("mcid"))}


def _space_widths(chars) -> dict[str, list[float]]:
    """The narrowest and widest space drawn on the page, by text size (one decimal, as text)."""
    widths: dict[str, list[float]] = {}
    for char in chars:
        if char["text"] == " ":
            key, width = str(round(char["size"], 1)), char["x1"] - char["x0"]
            least, most = widths.get(key, (width, width))
            widths[key] = [min(least, width), max(most, width)]
    return widths


RULE_STUB = 2.0  # points: Chromium ends each piece of a vertical rule with a stub as wide as the rule


def _rules(edges) -> list[dict]:
    """The horizontal rules of a page: not the stubs that end a vertical rule's pieces."""
    return [e for e in edges if e["orientation"] == "h" and e["x1"] - e["x0"] > RULE_STUB]


def _ruled(rules, x: float, y: float) -> bool:
    """Whether a rule runs through, or ends at, the point (x, y)."""
    return any(abs(rule["top"] - y) <= 1.5 and rule["x0"] - 1.5 <= x <= rule["x1"] + 1.5 for rule in rules)


def _open_ends(edges, rules) -> list[dict]:
    """Horizontal lines where vertical rules end with no rule across: the cut of a row that runs
    over the page, or of a merged cell that goes on on the next page (Chromium draws no rule
    there). Each runs from the first to the last vertical rule ending at its height, closing the
    cells there, so the table finder sees them."""
    runs: dict[float, list[list[float]]] = {}
    for edge in sorted((e for e in edges if e["orientation"] == "v"), key=lambda e: (round(e["x0"]), e["top"])):
        column = runs.setdefault(round(edge["x0"]), [])
        if column and edge["top"] <= column[-1][1] + 1:
            column[-1][1] = max(column[-1][1], edge["bottom"])
        else:
            column.append([edge["top"], edge["bottom"]])
    ends: dict[float, list[tuple[float, bool]]] = {}  # height → (x, open) of the rules ending there
    for x, column in runs.items():
        for top, bottom in column:
            for y in (top, bottom):
                ends.setdefault(round(y, 1), []).append((x, not _ruled(rules, x, y)))
    return [{"object_type": "line", "x0": min(xs)[0], "x1": max(xs)[0], "top": y, "bottom": y,
             "width": max(xs)[0] - min(xs)[0], "height": 0}
            for y, xs in ends.items() if len(xs) >= 2 and any(is_open for _, is_open in xs)]


def _lines(chars) -> list[list[dict]]:
    """Characters grouped into lines, top to bottom, each left to right."""
    lines: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        middle = (char["top"] + char["bottom"]) / 2
        line = next((line for line in lines if line[0]["top"] <= middle <= line[0]["bottom"]), None)
        if line is None:
            lines.append([char])
        else:
            line.append(char)
    for line in lines:
        line.sort(key=lambda c: c["x0"])
    lines.sort(key=lambda line: line[0]["top"])
    return lines


def _cell(box, chars, rules: list[dict]) -> dict:
    """A cell's lines, and whether its top and bottom are open (no rule: cut by the page)."""
    x0, top, x1, bottom = box
    middle = (x0 + x1) / 2
    return {"bbox": [x0, top, x1, bottom], "lines": _lines(chars),
            "open_top": not _ruled(rules, middle, top), "open_bottom": not _ruled(rules, middle, bottom)}


if __name__ == "__main__":
    import logging

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # a font's missing metrics are no problem of the form's
    json.dump(extract(sys.argv[1]), sys.stdout, ensure_ascii=False)
