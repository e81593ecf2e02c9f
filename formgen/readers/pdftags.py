"""What a PDF says about its own text, beyond the glyphs: marked content and the structure tree.

Read in the child process of :mod:`.pdfpages`, with pdfplumber:

* marked content, as the nested sequences it is (:func:`marked_content_device`): each glyph
  with the MCID of the sequence it is drawn in, and with its ``ActualText`` where it has one;
* a tagged PDF's structure tree, as far as paragraphs (:class:`Structure`): each MCID of a
  page → the element holding its paragraph (``P``, ``TD``, ``H1``…).

Anything malformed leaves what it concerns unknown (no MCID, no paragraph): the text is then
read by widths, as in an untagged PDF. Every walk is bounded.
"""

from __future__ import annotations

MAX_MARKED_DEPTH = 256  # marked content nests a few levels; a hostile stream may open without end
MAX_STRUCTURE_DEPTH = 64  # a structure tree is a dozen levels deep; a hostile one may loop
MAX_ARRAY = 100_000  # MCIDs of a page, as many as its objects at most
MAX_KEYS = 10_000  # pages' entries in the parent tree

# Structure types that are not a paragraph of their own (ISO 32000 14.8.4: inline elements, and
# NonStruct, which only groups): a line's paragraph is the nearest element above its text of
# any other type (P, H1, TD…).
_WITHIN = {"Span", "Quote", "Note", "Reference", "BibEntry", "Code", "Link", "Annot", "Ruby", "RB", "RT", "RP",
           "Warichu", "WT", "WP", "Em", "Strong", "Sub", "NonStruct"}


def marked_content_device():
    """pdfplumber's device (which tags each object with its MCID), reading marked content as
    nested sequences. pdfplumber 0.11 keeps only the innermost one, and forgets the enclosing
    MCID when it ends: Chromium wraps single glyphs inside a paragraph's MCID in a ``Span`` of
    their own, so most of its text lost its paragraph.

    That ``Span`` carries the glyph's ``ActualText``: a CJK font draws a radical and the
    ideograph it looks like (⽬ U+2F6C, 目 U+76EE) with one glyph, whose ToUnicode can name only
    one of them; the actual text says which. A glyph in a sequence with an actual text reads as
    that text (the first glyph; any others in it as nothing)."""
    from pdfplumber.page import PDFPageAggregatorWithMarkedContent
    from pdfplumber.utils import decode_text

    class NestedMarkedContent(PDFPageAggregatorWithMarkedContent):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.marks: list[tuple] = []  # (MCID, tag, [actual text not yet shown] or None) of each open sequence
            self.unopened = 0  # sequences beyond MAX_MARKED_DEPTH, not kept

        def begin_tag(self, tag, props=None) -> None:
            if len(self.marks) >= MAX_MARKED_DEPTH:
                self.unopened += 1
                return
            props = props if isinstance(props, dict) else {}
            own, actual = props.get("MCID"), props.get("ActualText")
            mcid = own if isinstance(own, int) else (self.marks[-1][0] if self.marks else None)
            self.marks.append((mcid, str(getattr(tag, "name", "")),
                               [decode_text(actual)] if isinstance(actual, bytes) else None))
            self._current()

        def end_tag(self) -> None:
            if self.unopened:
                self.unopened -= 1
            elif self.marks:
                self.marks.pop()
            self._current()

        def _current(self) -> None:
            self.cur_mcid, self.cur_tag = self.marks[-1][:2] if self.marks else (None, None)

        def render_char(self, *args, **kwargs) -> float:
            advance = super().render_char(*args, **kwargs)
            actual = next((text for *_, text in reversed(self.marks) if text is not None), None)
            if actual is not None and self.cur_item._objs:  # noqa: SLF001 (the glyph just rendered, as pdfplumber tags it)
                self.cur_item._objs[-1]._text = actual.pop() if actual else ""  # noqa: SLF001
            return advance

    return NestedMarkedContent


class Structure:
    """A tagged PDF's structure tree, read as far as paragraphs.

    A page names its array of elements by MCID in the tree's ``ParentTree`` (by the page's
    ``StructParents``); from each element the ``/P`` links lead up past inline ones to its
    paragraph. Element numbers are compared within a page only: a program may tag a page at a
    time (WeasyPrint does), making a paragraph cut by the page two elements."""

    def __init__(self, catalog: dict):
        from pdfminer.pdftypes import resolve1

        self.resolve = resolve1
        self.paragraph_of: dict[int, int | None] = {}  # element's object number → its paragraph's
        self.arrays: dict[int, object] = {}  # StructParents key → the page's elements by MCID
        self.roles: dict = {}
        try:
            root = resolve1(catalog.get("StructTreeRoot"))
            if isinstance(root, dict):
                roles = resolve1(root.get("RoleMap"))
                self.roles = roles if isinstance(roles, dict) else {}
                self._number_tree(root.get("ParentTree"), 0)
        except Exception:  # noqa: BLE001 (a tree pdfminer cannot parse: widths decide)
            self.arrays.clear()

    def _number_tree(self, node, depth: int) -> None:
        node = self.resolve(node)
        if not isinstance(node, dict) or depth > MAX_STRUCTURE_DEPTH:
            return
        numbers = self.resolve(node.get("Nums"))
        numbers = numbers if isinstance(numbers, list) else []
        for key, value in zip(numbers[::2], numbers[1::2]):
            if isinstance(key, int) and len(self.arrays) < MAX_KEYS:
                self.arrays[key] = value
        kids = self.resolve(node.get("Kids"))
        for kid in (kids if isinstance(kids, list) else [])[:MAX_KEYS]:
            self._number_tree(kid, depth + 1)

    def paragraphs(self, key) -> dict[int, int]:
        """MCID → the object number of its paragraph's element, on the page whose
        ``StructParents`` is ``key``; MCIDs under no paragraph are left out."""
        try:
            array = self.resolve(self.arrays.get(key)) if isinstance(key, int) else None
            if not isinstance(array, list):
                return {}
            found = {mcid: self._paragraph(ref) for mcid, ref in enumerate(array[:MAX_ARRAY])}
        except Exception:  # noqa: BLE001
            return {}
        return {mcid: element for mcid, element in found.items() if element is not None}

    def _paragraph(self, ref) -> int | None:
        from pdfminer.pdftypes import PDFObjRef

        path = []  # the elements walked through: all of them in the paragraph found
        while isinstance(ref, PDFObjRef) and ref.objid not in self.paragraph_of and len(path) < MAX_STRUCTURE_DEPTH:
            path.append(ref.objid)
            element = self.resolve(ref)
            kind = self._type(element) if isinstance(element, dict) else None
            if kind is None or kind == "StructTreeRoot":
                ref = None  # text under no paragraph
            elif kind in _WITHIN:
                ref = element.get("P")
            else:
                self.paragraph_of[ref.objid] = ref.objid
        found = self.paragraph_of.get(ref.objid) if isinstance(ref, PDFObjRef) else None
        for objid in path:
            self.paragraph_of.setdefault(objid, found)
        return found

    def _type(self, element: dict) -> str | None:
        if _name(element.get("Type")) == "StructTreeRoot":
            return "StructTreeRoot"
        name = _name(element.get("S"))
        for _ in range(4):  # a role mapped to a standard type, perhaps through another
            mapped = _name(self.roles.get(name)) if name else None
            if not mapped:
                break
            name = mapped
        return name


def _name(value) -> str | None:
    from pdfminer.psparser import PSLiteral

    return value.name if isinstance(value, PSLiteral) and isinstance(value.name, str) else None
