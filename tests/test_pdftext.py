"""Reading a cell's lines as paragraphs (readers.pdftext), on lines made up here: 10.5 pt glyphs
a full em wide, in a cell whose room is known to the point."""

from formgen.readers.pdftext import paragraphs

SIZE = 10.5
SPACING = {"drawn": True, "hidden": True, "widths": {}}


def _line(text: str, paragraph: int | None) -> list[dict]:
    return [{"text": char, "x0": index * SIZE, "x1": (index + 1) * SIZE, "size": SIZE, "paragraph": paragraph}
            for index, char in enumerate(text)]


def _read(lines, room: float) -> list[str]:
    texts, uncertain, _, _ = paragraphs(lines, [room, room], SPACING)
    assert uncertain == []
    return texts


def test_a_cjk_line_wrapped_an_em_early_in_one_tagged_paragraph_runs_on():
    """formgen's PDF wraps 长三角…活动完/成率 one em early, not to leave 率 alone: the 成 would
    have fitted beside 完, but the tags say one paragraph, and an em less room explains the wrap."""
    room = 14 * SIZE + 6  # 完 ends at 13 em: 成 fits, with a space after 完 too, by less than an em more
    lines = [_line("长三角城管执法一体化活动完", 7), _line("成率", 7)]
    assert _read(lines, room) == ["长三角城管执法一体化活动完成率"]


def test_a_piece_that_fits_even_an_em_early_ends_its_paragraph_whatever_the_tags():
    """A break within one tagged element (a ``<br>`` that Chromium tags with its cell) still shows
    where the next piece would have fitted with room to spare."""
    room = 16 * SIZE
    lines = [_line("长三角城管执法一体化活动完", 7), _line("成率", 7)]
    assert _read(lines, room) == ["长三角城管执法一体化活动完", "成率"]


def test_untagged_lines_are_not_given_the_em():
    """Without tags nothing says the two lines are one paragraph: a piece that fits ends it."""
    room = 14 * SIZE + 6
    lines = [_line("长三角城管执法一体化活动完", None), _line("成率", None)]
    assert _read(lines, room) == ["长三角城管执法一体化活动完", "成率"]
