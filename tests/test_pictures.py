"""What the samples' PDFs print is what they say, checked as pictures (tests/glyphs.py): each
line is drawn again at its PDF text positions in the full Noto Serif CJK SC and compared glyph
by glyph. Extracted text would pass a page whose glyphs are other characters'."""

from pathlib import Path

import glyphs

from formgen.writers import fonts

COMMON, _ = fonts.characters()


def pdfs(output: Path) -> list[Path]:
    return sorted(path for path in output.glob("*/*.pdf") if not path.parent.name.startswith("."))  # not the cache


def compilations(output: Path) -> list[Path]:
    return [path for path in pdfs(output) if path.stem.endswith("汇总表")]


def forms(output: Path) -> list[Path]:
    return [path for path in pdfs(output) if not path.stem.endswith("汇总表")]


def test_every_compilation_cover_prints_its_own_words(sample_outputs):
    covers = compilations(sample_outputs)
    assert len(covers) == 5
    for pdf in covers:
        lines = [line for line in glyphs.read(pdf) if line.page == 0]
        assert len(lines) >= 2 and all(line.bold for line in lines)  # the unit, the year and kind
        assert glyphs.misdrawn(pdf, lines) == [], pdf.name


def test_every_heading_prints_its_own_words_in_bold(sample_outputs):
    # Each form's title, in its own PDF and in its 汇总表 (which merges the forms' PDFs).
    every = pdfs(sample_outputs)
    assert len(every) == 63 + 5
    checked = 0
    for pdf in every:
        headings = [line for line in glyphs.read(pdf) if line.bold]
        assert headings, pdf.name
        assert glyphs.misdrawn(pdf, headings) == [], pdf.name
        checked += len(headings)
    assert checked >= 2 * 63 + 2 * 5


def test_body_cells_print_their_own_words(sample_outputs):
    # A sample: every line of the first page of every fourth form, and every line anywhere that
    # holds a character beyond the common part (drawn from a second face: the rare part, or the
    # full face).
    checked, rare = 0, 0
    for number, pdf in enumerate(forms(sample_outputs)):
        lines = [line for line in glyphs.read(pdf)
                 if (number % 4 == 0 and line.page == 0) or not set(line.text) <= COMMON]
        assert glyphs.misdrawn(pdf, lines) == [], pdf.name
        checked += len(lines)
        rare += sum(not set(line.text) <= COMMON for line in lines)
    assert checked > 600 and rare >= 3  # the samples' 撸, 砥 and 砺
