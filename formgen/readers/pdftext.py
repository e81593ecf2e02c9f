"""A cell's lines of text → its paragraphs: whether each line ended its paragraph or was wrapped.

A line is its characters left to right, each ``{text, x0, x1, size, paragraph}`` (``paragraph``:
the tagged paragraph it belongs to, see :mod:`.pdftags`, or None). The break between a line and
the next is

* a **paragraph** end where the two are of different tagged paragraphs (on one page), or where
  the next line's first piece (a word, or a CJK character with the punctuation that may not be
  parted from it) would have fitted at the end of the line, with the space the break took;
* a **wrap** where it would not have fitted, or where the tags put both lines in one paragraph;
* **uncertain** where the room is not known well enough to tell (:mod:`.pdfroom`), and where
  the space a line wraps at may be undrawn (no line of the document ends with a space; none of
  WeasyPrint, Chromium or LibreOffice draws it): a piece that would have fitted without a space
  but not with one leaves open whether the paragraph ended or the line wrapped at a space no
  one sees. Tagged, the lines are one paragraph, so the latter: a **space**.

A wrap next to CJK text where the piece would not have fitted even without a space is read
without one: no page shows whether a space was there, and CJK text is written without them.
Between two CJK characters the tags put in one paragraph, the piece is held against an em less
room: a typesetter may wrap that early, not to leave a last character alone.

Used by the child that reads pages (:mod:`.pdfpages`, the lines of one cell) and by :mod:`.pdf`
(a cell cut by the page: the last line of one part, the first of the next).
"""

from __future__ import annotations

import unicodedata

TOLERANCE = 0.05  # points: closer than this, a line's fit cannot be told from measurement
SPACE_RANGE = (0.2, 0.5)  # a space's width, in sizes of its text, where none is drawn to measure (Noto 0.22, SimSun 0.5)

# Characters a line may not start with (closing punctuation) or end with (opening punctuation).
_NO_START = set("，。、；：？！）」』】》〉〕”’％‰℃…·,.;:!?)]}%")
_NO_END = set("（「『【《〈〔“‘([{")
_QUOTES = set("“”‘’\"'")  # UAX #14 class QU: no break on either side
_DOUBTS = {"uncertain": "是换行还是分段无法确定", "uncertain space": "换行处是否有空格无法确定"}


def paragraphs(lines: list[list[dict]], available: list[float], spacing: dict) -> tuple[list[str], list[str], dict | None, dict | None]:
    """The paragraphs of a cell's lines, where they are uncertain (as a user reads it: between
    which words), and how its text ends (``tail``) and starts (``head``), for a cell that goes
    on on the next page. ``available`` is the narrowest and widest the lines' room can have
    been (:mod:`.pdfroom`), ``spacing`` what the page says of spaces (see :func:`tail`)."""
    texts: list[str] = []
    uncertain: list[str] = []
    for index, line in enumerate(lines):
        text = line_text(line, spacing["drawn"])
        if index == 0:
            texts.append(text)
            continue
        before = tail(lines[index - 1], available, spacing)
        verdict = line_break(before, head(line))
        if verdict in _DOUBTS:
            uncertain.append(f"“{texts[-1][-8:]}”与“{text[:8]}”之间{_DOUBTS[verdict]}")
        if verdict == "paragraph":
            texts.append(text)
        else:
            texts[-1] = join_wrapped(texts[-1], text, before, verdict)
    if not lines:
        return texts, uncertain, None, None
    return texts, uncertain, tail(lines[-1], available, spacing), head(lines[0])


def line_text(line: list[dict], spaces_drawn: bool = True) -> str:
    """A line's characters. A program that draws no spaces (``spaces_drawn`` false: none on the
    page) leaves a gap for one: then a gap of a quarter of the size is a space."""
    text = ""
    for previous, char in zip([None] + line[:-1], line):
        if not spaces_drawn and previous is not None and char["x0"] - previous["x1"] > 0.25 * char["size"] \
                and not text.endswith(" ") and char["text"] != " ":
            text += " "
        text += char["text"]
    return text.strip()


def tail(line: list[dict], available: list[float], spacing: dict) -> dict:
    """How a line ends: the least and most room it left (a space it ends with hangs, taking
    none), its last character and paragraph, the width of the space it ends with (0: none
    drawn), whether the document may leave such a space undrawn, and the widths a space of its
    size may have."""
    ink = [c for c in line if not c["text"].isspace()] or line
    end, width = line[-1], ink[-1]["x1"] - line[0]["x0"]
    return {"room": [available[0] - width, available[1] - width], "last": ink[-1]["text"],
            "space": end["x1"] - end["x0"] if end["text"].isspace() and end is not ink[-1] else 0.0,
            "hidden": spacing["hidden"], "spaces_drawn": spacing["drawn"], "spacing": _space_range(spacing, ink[-1]["size"]),
            "paragraph": ink[-1]["paragraph"]}


def head(line: list[dict]) -> dict:
    """How a line starts: the width of its first unbreakable piece as the most permissive line
    breaker cuts it (``width``) and as every one would (``widest``: programs differ around
    punctuation, digits and signs: LibreOffice keeps ``(人/次/天)`` whole), its first character,
    its size and its paragraph."""
    return {"width": _piece(line, _may_break), "widest": _piece(line, _always_breaks), "first": line[0]["text"],
            "size": line[0]["size"], "paragraph": line[0]["paragraph"]}


def _piece(line: list[dict], breaks) -> float:
    end = 0
    while end + 1 < len(line) and not breaks(line[end]["text"], line[end + 1]["text"]):
        end += 1
    return line[end]["x1"] - line[0]["x0"]


def _space_range(spacing: dict, size: float) -> tuple[float, float]:
    """The narrowest and widest a space of text of ``size`` is: as drawn on the page, else the range of fonts."""
    drawn = spacing["widths"].get(str(round(size, 1)))
    return tuple(drawn) if drawn else (SPACE_RANGE[0] * size, SPACE_RANGE[1] * size)


def line_break(tail: dict | None, head: dict | None, same_page: bool = True) -> str:
    """``paragraph``, ``wrap``, ``space`` (a wrap at a space not drawn), ``uncertain`` or
    ``uncertain space`` (a wrap, perhaps at a space not drawn): the break between a line
    (``tail``) and the next (``head``). Tags are compared on one page only (a program may tag
    a page at a time, making a paragraph cut by the page two elements)."""
    if tail is None or head is None:
        return "paragraph"
    tagged = same_page and tail["paragraph"] is not None and head["paragraph"] is not None
    if tagged and tail["paragraph"] != head["paragraph"]:
        return "paragraph"
    least, most = _break_space(tail, head["first"])
    spare_least, spare_most = tail["room"][0] - head["widest"], tail["room"][1] - head["width"]
    if tagged and is_wide(tail["last"]) and is_wide(head["first"]):
        # Between two CJK characters of one paragraph, a line may wrap up to one em early so that
        # the paragraph's last line does not hold one character alone (formgen's PDFs do so:
        # ``Cell.narrower``): only a piece that fitted in an em less room tells of a break.
        spare_least, spare_most = spare_least - head["size"], spare_most - head["size"]
    if spare_least - most >= TOLERANCE:
        return "paragraph"  # in the least room, the widest piece with the widest space fitted
    if spare_most - least <= -TOLERANCE:
        return "wrap"  # in the most room, the narrowest piece with the narrowest space did not
    if not tagged:
        return "uncertain"
    # One paragraph, wrapped: at a space not drawn if the piece fitted without one; whether it
    # did is uncertain where the room is not known well enough to tell.
    if least == 0 < most and spare_most >= TOLERANCE:
        return "space" if spare_least >= TOLERANCE else "uncertain space"
    return "wrap"


def join_wrapped(before: str, after: str, tail: dict, verdict: str = "wrap") -> str:
    """Two pieces of a wrapped line: CJK runs on, words are parted by the space the wrap took."""
    if not before or not after:
        return before + after
    spaced = verdict == "space" or _break_space(tail, after[0])[0] > 0
    return f"{before} {after}" if spaced else before + after


def _break_space(tail: dict, first: str) -> tuple[float, float]:
    """The narrowest and widest the space a line break took can be (0: none): the one the line
    ends with; none where the document draws such spaces; on a page that draws no space at all
    (its words parted by gaps), a space between two words; else a space or none."""
    if tail["space"]:
        return tail["space"], tail["space"]
    if not tail["hidden"]:
        return 0.0, 0.0
    narrowest, widest = tail["spacing"]
    if not tail["spaces_drawn"] and not (is_wide(tail["last"]) or is_wide(first) or tail["last"] == "-"):
        return narrowest, widest
    return 0.0, widest


def _may_break(before: str, after: str) -> bool:
    """Whether some line breaker may break between two characters (UAX #14, loosely)."""
    if after in _NO_START or before in _NO_END or before in _QUOTES or after in _QUOTES:
        return False
    return before.isspace() or after.isspace() or is_wide(before) or is_wide(after)


def _always_breaks(before: str, after: str) -> bool:
    """Whether every line breaker may break there: after a space, or between two CJK characters
    that are not punctuation kept with their neighbour."""
    return before.isspace() or is_wide(before) and is_wide(after) and _may_break(before, after)



def is_wide(char: str) -> bool:
    """A CJK character or full-width sign: lines may break around it, and wrap without a space."""
    return unicodedata.east_asian_width(char) in ("W", "F")
