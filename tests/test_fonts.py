"""The cut Song faces (writers/fonts.py): two parts a weight, the rare hanzi apart."""

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
    common, rare = fonts.characters("normal")
    assert common.isdisjoint(rare)
    assert gb2312() <= common | rare
    assert {"绩", "效", "目", "标", "的", "０", "A", "≥", "（", "％"} <= common  # first level, signs, Latin
    assert {"鑫", "珏", "璐"} <= rare and len(rare) == 3008  # GB2312's second level


def test_the_bold_face_holds_the_titles_first_and_the_alphabets_of_the_regular_one():
    titles, rest = fonts.characters("bold")
    common, rare = fonts.characters("normal")
    assert titles.isdisjoint(rest) and titles | rest == common | rare
    assert set("财政项目支出绩效目标申报表自评汇总") <= titles and "的" in rest
    # fontconfig ranks a family's faces by the alphabets they cover before their weight
    assert {c for c in titles if not "\u4e00" <= c <= "\u9fff"} == {c for c in common if not "\u4e00" <= c <= "\u9fff"}


def test_each_cut_face_is_declared_under_its_family_and_weight():
    faces = fonts.font_faces()
    css = fonts.font_face_css()
    assert css.count("@font-face") == len(faces)
    for (family, weight), path in faces.items():
        assert family in fonts.FAMILIES and f'font-family: "{family}"; src: url("{path.as_uri()}"); font-weight: {weight};' in css
