"""A PDF's pages → their ruled tables and lines of text, read in a process of its own.

pdfminer (under pdfplumber) inflates streams and interprets drawings without limits of its
own, so a hostile PDF of a few KB could take gigabytes or hours; :mod:`.pdf` runs this
module as a child process under a memory and a time limit, and it prints what it read as
JSON. Nothing here depends on where a program draws a form or which font it uses:

* the table of a page is found from its rules (pdfplumber's table finder); where a row runs
  over the page the cut is not ruled, so the ends of the vertical rules close it, and the
  cells there are marked open;
* a cell's text is its characters, line by line; whether a line ends its paragraph or was
  wrapped is decided by width: a line whose next word would have fitted beside it ended a
  paragraph. When the two differ by less than a measurement can tell, the cell is marked
  uncertain rather than guessed;
* characters drawn off the page (a program that clips text it cannot fit) are counted, and
  text inside a table but in no cell is kept as stray, so that nothing is lost unsaid.
"""

from __future__ import annotations

import json
import sys
import unicodedata

MAX_PAGES = 500
MAX_OBJECTS_PER_PAGE = 100_000  # characters and rules; a form's page has some 2,000
TOLERANCE = 0.05  # points: closer than this, a line's fit cannot be told from measurement


def extract(path: str) -> dict:
    import pdfplumber

    pages = []
    with pdfplumber.open(path) as pdf:
        if len(pdf.pages) > MAX_PAGES:
            return {"error": "pages", "pages": len(pdf.pages)}
        for number, page in enumerate(pdf.pages, 1):
            if len(page.chars) + len(page.edges) > MAX_OBJECTS_PER_PAGE:
                return {"error": "objects", "page": number}
            pages.append(_page(page, number))
            page.close()
    return {"pages": pages}


def _page(page, number: int) -> dict:
    width, height = float(page.width), float(page.height)
    inside = [_plain_space(c) for c in page.chars
              if c["x1"] > 0 and c["x0"] < width and c["bottom"] > 0 and c["top"] < height]
    clipped = len(page.chars) - len(inside)
    settings = {"vertical_strategy": "lines", "horizontal_strategy": "lines",
                "explicit_horizontal_lines": _open_ends(page.edges)}
    opens = {round(line["top"], 1) for line in settings["explicit_horizontal_lines"]}
    tables = sorted(page.find_tables(settings), key=lambda t: t.bbox[1])
    boxes = [cell for table in tables for cell in table.cells]
    padding = _padding(boxes, inside)
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
            cells.append(_cell(box, placed[index], padding, opens, spaces_drawn))
            index += 1
        read_tables.append({"bbox": list(table.bbox), "cells": cells})
    return {"number": number, "clipped": clipped, "tables": read_tables,
            "lines": [{"top": line[0]["top"], "bottom": line[0]["bottom"], "text": _line_text(line, spaces_drawn)}
                      for line in _lines(outside)],
            "stray": [_line_text(line, spaces_drawn) for line in _lines(stray)]}


def _plain_space(char: dict) -> dict:
    """A space some programs map to U+3000 (the CJK font's space glyph) although it is as narrow
    as an ASCII one: a full-width space is as wide as the text is large."""
    if char["text"] == "\u3000" and char["x1"] - char["x0"] < 0.75 * char["size"]:
        return {**char, "text": " "}
    return char


def _open_ends(edges) -> list[dict]:
    """Horizontal lines where vertical rules end with no rule across: the cut of a row that runs
    over the page. Each closes the cells there, so the table finder sees them."""
    horizontal = [e for e in edges if e["orientation"] == "h"]
    runs: dict[float, list[list[float]]] = {}
    for edge in sorted((e for e in edges if e["orientation"] == "v"), key=lambda e: (round(e["x0"]), e["top"])):
        column = runs.setdefault(round(edge["x0"]), [])
        if column and edge["top"] <= column[-1][1] + 1:
            column[-1][1] = max(column[-1][1], edge["bottom"])
        else:
            column.append([edge["top"], edge["bottom"]])
    ends: dict[float, list[float]] = {}
    for x, column in runs.items():
        for top, bottom in column:
            for y in (top, bottom):
                if not any(abs(h["top"] - y) <= 1.5 and h["x0"] - 1.5 <= x <= h["x1"] + 1.5 for h in horizontal):
                    ends.setdefault(round(y, 1), []).append(x)
    return [{"object_type": "line", "x0": min(xs), "x1": max(xs), "top": y, "bottom": y,
             "width": max(xs) - min(xs), "height": 0} for y, xs in ends.items() if len(xs) >= 2]


def _padding(boxes, chars) -> float:
    """The cells' inner padding: the smallest gap on the page between a cell's left edge and its text."""
    gaps = []
    for x0, top, x1, bottom in boxes:
        inner = [c["x0"] - x0 for c in chars if x0 <= c["x0"] and c["x1"] <= x1 and top <= c["top"] and c["bottom"] <= bottom]
        if inner:
            gaps.append(min(inner))
    return max(min(gaps), 0.0) if gaps else 2.0


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


def _line_text(line: list[dict], spaces_drawn: bool = True) -> str:
    """A line's characters. A program that draws no spaces (``spaces_drawn`` false: none on the
    page) leaves a gap for one: then a gap of a quarter of the size is a space."""
    text = ""
    for previous, char in zip([None] + line[:-1], line):
        if not spaces_drawn and previous is not None and char["x0"] - previous["x1"] > 0.25 * char["size"] \
                and not text.endswith(" ") and char["text"] != " ":
            text += " "
        text += char["text"]
    return text.strip()


def _cell(box, chars, padding: float, opens: set[float], spaces_drawn: bool) -> dict:
    x0, top, x1, bottom = box
    lines = _lines(chars)
    # The text's own left edge (an indent, or centred lines, start further in); on the right,
    # the page's smallest padding: the most room the text can have had.
    start = min((line[0]["x0"] for line in lines), default=x0 + padding)
    available = (x1 - padding) - max(start, x0 + padding)
    paragraphs, uncertain = [], []
    for index, line in enumerate(lines):
        text = _line_text(line, spaces_drawn)
        if index == 0:
            paragraphs.append(text)
            continue
        tail = _tail(lines[index - 1], available, spaces_drawn)
        verdict = line_break(tail, _head(line))
        if verdict == "uncertain":
            uncertain.append(f"“{paragraphs[-1][-8:]}”与“{text[:8]}”之间")
        if verdict == "paragraph":
            paragraphs.append(text)
        else:
            paragraphs[-1] = join_wrapped(paragraphs[-1], text, tail)
    return {"bbox": [x0, top, x1, bottom], "paragraphs": paragraphs, "uncertain": uncertain,
            "open_top": round(top, 1) in opens, "open_bottom": round(bottom, 1) in opens,
            "tail": _tail(lines[-1], available, spaces_drawn) if lines else None, "head": _head(lines[0]) if lines else None}


def _tail(line: list[dict], available: float, spaces_drawn: bool) -> dict:
    """How a line ends: the room it left (a space it ends with hangs, taking none), its last
    character, whether it ends with a space, and whether the page draws spaces at all."""
    ink = [c for c in line if not c["text"].isspace()] or line
    return {"room": available - (ink[-1]["x1"] - line[0]["x0"]), "last": ink[-1]["text"],
            "space": line[-1]["text"].isspace(), "spaces_drawn": spaces_drawn}


def _head(line: list[dict]) -> dict:
    """How a line starts: the width of its first unbreakable piece (a word, or a CJK character
    with the punctuation that may not be parted from it), its first character, a space's width."""
    end = 0
    while end + 1 < len(line) and not _may_break(line[end]["text"], line[end + 1]["text"]):
        end += 1
    return {"width": line[end]["x1"] - line[0]["x0"], "first": line[0]["text"], "space": 0.25 * line[0]["size"]}


# Characters a line may not start with (closing punctuation) or end with (opening punctuation).
_NO_START = set("，。、；：？！）」』】》〉〕”’％‰℃…·,.;:!?)]}%")
_NO_END = set("（「『【《〈〔“‘([{")


_QUOTES = set("“”‘’\"'")  # UAX #14 class QU: no break on either side


def _may_break(before: str, after: str) -> bool:
    if after in _NO_START or before in _NO_END or before in _QUOTES or after in _QUOTES:
        return False
    return before.isspace() or after.isspace() or is_wide(before) or is_wide(after)


def is_wide(char: str) -> bool:
    """A CJK character or full-width sign: lines may break around it, and wrap without a space."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def line_break(tail: dict | None, head: dict | None) -> str:
    """Whether the break between a line (``tail``) and the next (``head``) is a ``wrap`` the
    width forced, a ``paragraph`` end (the next piece would have fitted), or ``uncertain``."""
    if tail is None or head is None:
        return "paragraph"
    needed = head["width"] + (head["space"] if _spaced(tail, head["first"]) else 0)
    if tail["room"] - needed >= TOLERANCE:
        return "paragraph"
    if tail["room"] - needed <= -TOLERANCE:
        return "wrap"
    return "uncertain"


def join_wrapped(before: str, after: str, tail: dict) -> str:
    """Two pieces of a wrapped line: CJK runs on, words are parted by the space the wrap took."""
    if not before or not after:
        return before + after
    return f"{before} {after}" if _spaced(tail, after[0]) else before + after


def _spaced(tail: dict, first: str) -> bool:
    """Whether a wrap after ``tail`` took a space: the one the line ends with on a page that draws
    its spaces; on one that draws none, any wrap between two words."""
    if tail["spaces_drawn"]:
        return tail["space"]
    return not (is_wide(tail["last"]) or is_wide(first) or tail["last"] == "-")


if __name__ == "__main__":
    json.dump(extract(sys.argv[1]), sys.stdout, ensure_ascii=False)
