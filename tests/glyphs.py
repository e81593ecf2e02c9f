"""Is every glyph on a PDF page the glyph of its character? Pictures, not extracted text.

A PDF's text layer can name the right characters while its pages draw others (a subset font
whose glyph numbers belong to another face: pdftotext reads the right words, the paper shows
wrong ones). So each line is found from the PDF's own text positions (pdfium's character
origins, sizes and font names), drawn again character by character at those origins in the
full, uncut Noto Serif CJK SC of the same weight (FreeType through Pillow, independent of
WeasyPrint and of the cut faces), and compared with pdfium's picture of the same line, glyph
by glyph. Where lines fall on the page does not matter, only what each glyph looks like.
"""

from __future__ import annotations

import ctypes
import functools
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from formgen.writers import fonts

SCALE = 4  # pixels a point: a 9 pt glyph is 36 pixels tall
# A glyph differs from the reference when more than this share of their ink lies more than a
# pixel away from the other's ink (the reference moved by up to a pixel to fit best). Measured:
# the same glyph drawn by the two rasterizers, at most 0.8% (all 62,815 glyphs of the samples'
# 汇总表 PDFs); the regular face printed for the bold one, 5% to 13%; another character's
# glyph, 40% to 70%.
MAX_MISMATCH = 0.04
# Or when one has this many times the other's ink (bold Song has about one and a half times
# the ink of regular), counted on glyphs with enough ink for a count to mean something.
MAX_INK_RATIO, MIN_INK_PX = 1.35, 300
_OUR_FACES = ("formgen-Song", "Noto-Serif-CJK-SC")


@dataclass
class Glyph:
    char: str
    origin: tuple[float, float]  # the baseline origin, in PDF points (y up)
    size_pt: float
    bold: bool
    box: tuple[float, float, float, float]  # left, bottom, right, top of its ink


@dataclass
class Line:
    page: int  # from 0
    glyphs: list[Glyph] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(glyph.char for glyph in self.glyphs)

    @property
    def bold(self) -> bool:
        return any(glyph.bold for glyph in self.glyphs)


@dataclass
class Misdrawn:
    page: int
    line: str
    chars: str  # the characters whose glyphs are not theirs

    def __repr__(self) -> str:
        return f"page {self.page + 1}, line {self.line!r}: {self.chars!r} not drawn as their glyphs"


def read(pdf: Path) -> list[Line]:
    """The text lines of every page of a PDF, in our Song faces."""
    document = pdfium.PdfDocument(str(pdf))
    return [line for number in range(len(document)) for line in _lines(document[number], number)]


def misdrawn(pdf: Path, lines: list[Line]) -> list[Misdrawn]:
    """Those of ``lines`` (read from ``pdf``) whose glyphs are not their characters' glyphs in the
    full face."""
    document = pdfium.PdfDocument(str(pdf))
    wrong = []
    for line in lines:
        chars = _wrong_glyphs(document[line.page], line)
        if chars:
            wrong.append(Misdrawn(line.page, line.text, chars))
    return wrong


def _lines(page, number: int) -> list[Line]:
    """The text lines of a pdfium page, as the PDF places them: pdfium's own line breaks, and a
    new line wherever the baseline moves. Only glyphs of our Song faces are kept."""
    text = page.get_textpage()
    found, current, baseline = [], Line(number), None
    name = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    for index in range(text.count_chars()):
        char = chr(pdfium_c.FPDFText_GetUnicode(text, index))
        x, y = ctypes.c_double(), ctypes.c_double()
        pdfium_c.FPDFText_GetCharOrigin(text, index, x, y)
        generated = pdfium_c.FPDFText_IsGenerated(text, index) or char in "\r\n"  # pdfium's breaks
        if generated or (baseline is not None and abs(y.value - baseline) > 0.5):
            if current.glyphs:
                found.append(current)
            current, baseline = Line(number), None
        if generated or char.isspace():
            continue
        pdfium_c.FPDFText_GetFontInfo(text, index, name, len(name), flags)
        font = name.value.decode("latin-1")
        if not any(face in font for face in _OUR_FACES):
            continue
        matrix = pdfium_c.FS_MATRIX()
        pdfium_c.FPDFText_GetMatrix(text, index, matrix)
        size = pdfium_c.FPDFText_GetFontSize(text, index) * (matrix.a ** 2 + matrix.b ** 2) ** 0.5
        current.glyphs.append(Glyph(char, (x.value, y.value), size, "Bold" in font, text.get_charbox(index)))
        baseline = y.value
    if current.glyphs:
        found.append(current)
    return found


def _wrong_glyphs(page, line: Line) -> str:
    """The characters of a line whose glyph in pdfium's picture is not their glyph in the full face."""
    width, height = page.get_size()
    left = min(g.origin[0] for g in line.glyphs) - 2
    right = max(g.box[2] for g in line.glyphs) + 2
    top = max(g.origin[1] + g.size_pt for g in line.glyphs) + 2
    bottom = min(g.origin[1] - g.size_pt * 0.3 for g in line.glyphs) - 2
    crop = (max(left, 0), max(bottom, 0), max(width - right, 0), max(height - top, 0))
    printed = page.render(scale=SCALE, crop=crop, grayscale=True).to_pil().convert("L")
    reference = Image.new("L", printed.size, 255)
    to_pixels = lambda x, y: ((x - crop[0]) * SCALE, (height - crop[3] - y) * SCALE)  # noqa: E731
    for glyph in line.glyphs:  # at whole pixels: the comparison allows a pixel either way
        mask, (dx, dy) = _glyph(glyph.char, glyph.bold, round(glyph.size_pt * SCALE, 1))
        x, y = to_pixels(*glyph.origin)
        reference.paste(0, (round(x) + dx, round(y) + dy), mask)
    printed, reference = _Ink(printed), _Ink(reference)
    wrong = []
    for glyph in line.glyphs:
        x0, y1 = to_pixels(glyph.box[0], glyph.box[1])
        x1, y0 = to_pixels(glyph.box[2], glyph.box[3])
        box = (int(x0) - 3, int(y0) - 3, int(x1) + 4, int(y1) + 4)
        if not _same_glyph(printed, reference, box):
            wrong.append(glyph.char)
    return "".join(wrong)


class _Ink:
    """A picture's ink (255 where dark) and the ink grown by a pixel all round."""

    def __init__(self, picture: Image.Image):
        self.ink = picture.point(_DARK)
        self.near = self.ink.filter(ImageFilter.BoxBlur(1)).point(_ANY)  # faster than MaxFilter(3)


_DARK = [255 if value < 128 else 0 for value in range(256)]
_ANY = [255 if value else 0 for value in range(256)]


def _same_glyph(printed: _Ink, reference: _Ink, box) -> bool:
    """Whether the printed glyph in ``box`` is the reference one: the same shape (the reference
    moved by up to a pixel, as two rasterizers round positions differently) and about as much ink
    (the same weight)."""
    ink, near = printed.ink.crop(box), printed.near.crop(box)
    for dx, dy in _OFFSETS:
        moved = (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)
        reference_ink, reference_near = reference.ink.crop(moved), reference.near.crop(moved)
        # the share of the two glyphs' ink lying more than a pixel away from the other's ink
        stray = _count(ImageChops.subtract(ink, reference_near)) + _count(ImageChops.subtract(reference_ink, near))
        total = _count(ink) + _count(reference_ink)
        if stray <= MAX_MISMATCH * total:
            small, large = sorted((_count(ink), _count(reference_ink)))
            return small < MIN_INK_PX or large <= small * MAX_INK_RATIO
    return False


_OFFSETS = [(0, 0)] + [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]


def _count(ink: Image.Image) -> int:
    return ink.histogram()[255]


@functools.cache
def _glyph(char: str, bold: bool, size_px: float) -> tuple[Image.Image, tuple[int, int]]:
    """A character drawn in the full face, and where its picture starts from its origin."""
    face = _face(bold, size_px)
    left, top, right, bottom = face.getbbox(char, anchor="ls")
    mask = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), 0)
    ImageDraw.Draw(mask).text((-left, -top), char, font=face, fill=255, anchor="ls")
    return mask, (left, top)


@functools.cache
def _face(bold: bool, size_px: float) -> ImageFont.FreeTypeFont:
    source = fonts.source("bold" if bold else "normal")  # the full face the cuts come from
    return ImageFont.truetype(str(source), size=size_px, index=fonts.SIMPLIFIED_CHINESE)
