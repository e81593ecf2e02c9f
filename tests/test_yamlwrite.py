"""The one YAML writer: whatever data it is given, formgen reads back exactly ``as_read(data)``."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from formgen.load.yamlread import read_documents
from formgen.yamlwrite import Block, Commented, as_read, dump, scalar

# Texts as officers type them: CJK, digits, comparison signs, YAML's special characters, line breaks.
_ALPHABET = st.sampled_from(list("项目指标值课题 ≥≤><=＞%()（）:：,，#-&*!|>'\"{}[]@`?\\\t\n0123456789.abc"))
texts = st.text(_ALPHABET, max_size=30)
keys = st.text(_ALPHABET, min_size=1, max_size=10).filter(lambda k: k.strip() == k and "\n" not in k and "\t" not in k)
amounts = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)
leaves = st.one_of(st.none(), texts, texts.map(Block), amounts, st.lists(texts.filter(lambda t: "\n" not in t), max_size=3))
values = st.recursive(leaves, lambda children: st.dictionaries(keys, children, max_size=4), max_leaves=12)
commented = st.builds(Commented, values, st.text(st.sampled_from(list("待填写元 #：")), min_size=1, max_size=8))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, st.one_of(values, commented), min_size=1, max_size=5))
def test_every_document_reads_back_as_written(data):
    [document] = read_documents(dump(data, header=["一行说明", ""]), "x.yaml")
    assert document.data == as_read(data)


def test_blocks_comments_and_empty_keys_look_as_people_write_them():
    text = dump({"项目名称": "课题研究", "项目资金": Commented({"财政资金": Decimal("400000.00")}, "元"),
                 "年度总体目标": Block("第一行\n\n第三行"), "得分": None, "实际完成值": Commented(None, "待填写"),
                 "顺序": ["甲", "乙"]}, header=["说明"], footer=["格式: [pdf]"])
    assert text == ("# 说明\n项目名称: 课题研究\n项目资金:  # 元\n  财政资金: 400000.00\n"
                    "年度总体目标: |\n  第一行\n\n  第三行\n得分:\n实际完成值:  # 待填写\n顺序: [甲, 乙]\n# 格式: [pdf]\n")


def test_scalar_quotes_only_when_yaml_would_misread():
    assert scalar("≥2(人)") == "≥2(人)"
    assert scalar(">4(次)") == '">4(次)"'
    assert scalar("120") == '"120"'
    assert scalar("a: b") == '"a: b"'
