"""The cut Song faces (writers/fonts.py): two parts a weight, the rare hanzi apart."""

import pytest

from formgen.writers import fonts


def gb2312() -> set[str]:
    characters = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                characters.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return characters


def test_the_two_parts_hold_all_of_gb2312_once_the_common_hanzi_first():
    common, rare = fonts.characters()
    assert common.isdisjoint(rare)
    assert gb2312() <= common | rare
    assert {"绩", "效", "目", "标", "的", "０", "A", "≥", "（", "％"} <= common  # first level, signs, Latin
    assert {"鑫", "珏", "璐"} <= rare and len(rare) == 3008  # GB2312's second level


def test_each_family_covers_the_same_characters_in_both_weights():
    # Else fontconfig draws a bold character the bold face lacks from the regular face of the
    # family, and WeasyPrint, which tells fonts apart by family and weight, merges the two faces
    # into one subset: the glyphs of one print as other characters (the garbled 汇总表 covers).
    faces = fonts.font_faces()
    if len(faces) < 4:
        pytest.skip("the cut faces are not made (make setup)")
    for family in fonts.FAMILIES:
        assert _covered(faces[family, "normal"]) == _covered(faces[family, "bold"])


def _covered(path) -> set[int]:
    from fontTools.ttLib import TTFont

    return set(TTFont(path, lazy=True).getBestCmap())


def test_each_cut_face_is_declared_under_its_family_and_weight():
    faces = fonts.font_faces()
    css = fonts.font_face_css()
    assert css.count("@font-face") == len(faces)
    for (family, weight), path in faces.items():
        assert family in fonts.FAMILIES and f'font-family: "{family}"; src: url("{path.as_uri()}"); font-weight: {weight};' in css


def test_text_drawn_from_several_faces_prints_its_own_glyphs_in_both_weights(workspace):
    # Common hanzi, rare ones (the second part) and some beyond GB2312 (the full face), on a bold
    # cover and in regular cells: each glyph is compared, as a picture, with the full face's.
    import glyphs
    from projects import declaration

    from formgen.workspace import build

    mixed = "鑫珏喆堃"  # rare, rare, beyond the cut, beyond the cut
    workspace.write("ws/单位/formgen.yaml", f"表单: 申报表\n年度: 2023\n汇总表标题: 上海{mixed}管理局2023年度项目绩效目标汇总表\n")
    workspace.write("ws/单位/甲.yaml", declaration(项目名称=f"项目名称: 课题{mixed}研究", 实施单位=f"实施单位: 上海{mixed}管理局"))
    report = build([workspace.root / "ws"], workspace.root / "out", ("pdf",), jobs=1)
    assert report.ok
    common, rare = fonts.characters()
    for pdf in (workspace.root / "out" / "单位").glob("*.pdf"):
        lines = glyphs.read(pdf)
        drawn = [line for line in lines if set(mixed) & set(line.text)]
        assert {line.bold for line in drawn} == ({True, False} if "汇总表" in pdf.stem else {False})
        assert glyphs.misdrawn(pdf, lines) == [], pdf.name
    assert {"鑫", "珏"} <= rare and not {"喆", "堃"} & (common | rare)
