"""PDFs joined into one with their structure trees (tags): a 汇总表 from its forms' PDFs.

A tagged PDF says what its text is: each paragraph of a cell a ``P`` element under its
``TD``, each line a ``Span`` that points at its marked content on the page. Screen readers
follow it, and ``formgen import`` reads a cell's paragraphs from it where widths cannot tell
(a paragraph ending on a full line). pypdf's ``append`` copies pages but leaves every file's
tree behind (and each page's ``/StructParents``, its key into the tree); here each file's
tree is copied after its pages, hung under one new root, and its pages get keys again.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject, NameObject, NumberObject


class TaggedJoin:
    """A PdfWriter that files are appended to, each with its structure tree."""

    def __init__(self) -> None:
        self.writer = PdfWriter()
        self.root = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
        self.root_reference = self.writer._add_object(self.root)  # noqa: SLF001 (pypdf's way to add an object)
        self.elements = ArrayObject()  # the root's kids: each file's top element
        self.parents = ArrayObject()  # the parent tree's /Nums: key, array of a page's elements by MCID
        self.namespaces = ArrayObject()
        self.language = None

    def append(self, path: Path, outline_item: str | None = None) -> None:
        reader = PdfReader(path)
        first = len(self.writer.pages)
        self.writer.append(reader, outline_item=outline_item, import_outline=False)
        catalog = reader.trailer["/Root"]
        tree = catalog.get("/StructTreeRoot")
        if tree is None:
            return
        self.language = self.language or catalog.get("/Lang")
        # Cloned into this writer, the elements' /Pg point at the pages just appended.
        kids = tree.get("/K", [])
        for kid in kids if isinstance(kids, list) else [kids]:
            element = kid.clone(self.writer)
            element.get_object()[NameObject("/P")] = self.root_reference
            self.elements.append(element)
        for namespace in tree.get("/Namespaces", []):
            self.namespaces.append(namespace.clone(self.writer))
        keys = dict(_numbers(tree.get("/ParentTree")))
        for index, page in enumerate(reader.pages):
            key = page.get("/StructParents")
            if key in keys:
                self.writer.pages[first + index][NameObject("/StructParents")] = NumberObject(len(self.parents) // 2)
                self.parents += [NumberObject(len(self.parents) // 2), keys[key].clone(self.writer)]

    def write(self, path: Path, title: str) -> None:
        writer = self.writer
        if self.elements:
            self.root[NameObject("/K")] = self.elements
            self.root[NameObject("/ParentTree")] = writer._add_object(DictionaryObject({NameObject("/Nums"): self.parents}))  # noqa: SLF001
            self.root[NameObject("/ParentTreeNextKey")] = NumberObject(len(self.parents) // 2)
            if self.namespaces:
                self.root[NameObject("/Namespaces")] = self.namespaces
            catalog = writer.root_object
            catalog[NameObject("/StructTreeRoot")] = self.root_reference
            catalog[NameObject("/MarkInfo")] = DictionaryObject({NameObject("/Marked"): BooleanObject(True)})
            if self.language is not None:
                catalog[NameObject("/Lang")] = self.language.clone(writer)
        writer.add_metadata({"/Title": title})
        with open(path, "wb") as file:
            writer.write(file)


def _numbers(tree, depth: int = 0):
    """(key, value) of a number tree: its /Nums, and those of its /Kids."""
    if tree is None or depth > 8:
        return
    tree = tree.get_object()
    nums = tree.get("/Nums", [])
    yield from zip(nums[::2], nums[1::2])
    for kid in tree.get("/Kids", []):
        yield from _numbers(kid, depth + 1)
