"""Golden layouts: a few samples' Sheets written as plain text (``writers.text``) and compared with
the files in ``tests/golden``. A change to a layout shows as a readable diff of cells and spans.

After an intended change, rewrite them with ``FORMGEN_UPDATE_GOLDEN=1 make test`` and review the diff.
"""

import os

import pytest
from conftest import SAMPLES

from formgen.layout import Layouts
from formgen.load import load_file, read_settings
from formgen.writers import text

GOLDEN = SAMPLES.parent / "tests" / "golden"
PICKS = {
    "申报表-课题研究": "上海市城市管理行政执法局-2023/课题研究.yaml",
    "申报表-2024-成本指标": "上海市绿化和市容管理局行政服务中心-2024/行业信访、安全及保障稳定的应急工作专项.yaml",
    "自评表-行政复议": "上海市城市管理行政执法局-2024/行政复议受理和行政诉讼应诉工作-自评.yaml",
    "目标表-监督考核": "上海市城市管理行政执法局-2020/城管执法监督考核.yaml",
}


@pytest.mark.parametrize("name", sorted(PICKS))
def test_layout_matches_its_golden_text(name):
    file = SAMPLES / PICKS[name]
    [loaded] = load_file(file, read_settings(file.parent, SAMPLES))
    written = text.text(Layouts().sheet(loaded.project))
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("FORMGEN_UPDATE_GOLDEN"):
        golden.write_text(written, encoding="utf-8")
    assert written == golden.read_text(encoding="utf-8")


def test_a_printed_page_is_the_same_image_as_before(tmp_path):
    """The PDF path leans on WeasyPrint's layout boxes (the page plan): an upgrade of WeasyPrint or
    pydyf that changes what is printed fails here, page image against page image."""
    import hashlib

    from readback import pdf_page_images

    from formgen.writers import pdf, paginate

    file = SAMPLES / PICKS["申报表-课题研究"]
    [loaded] = load_file(file, read_settings(file.parent, SAMPLES))
    pdf.write(paginate(Layouts().sheet(loaded.project)), tmp_path / "form.pdf")
    [page] = pdf_page_images(tmp_path / "form.pdf", tmp_path / "pages", dpi=40)
    golden = GOLDEN / "申报表-课题研究-page1.png"
    if os.environ.get("FORMGEN_UPDATE_GOLDEN"):
        golden.write_bytes(page.read_bytes())
    assert hashlib.sha256(page.read_bytes()).hexdigest() == hashlib.sha256(golden.read_bytes()).hexdigest()
