"""A real client opens our files: LibreOffice converts every DOCX and XLSX written, 汇总表 included, to PDF."""

import os
import shutil
import subprocess

import pytest
from pypdf import PdfReader

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.office
def test_libreoffice_converts_every_docx_and_xlsx(fidelity_build, tmp_path):
    if SOFFICE is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is missing: `make test` installs it (scripts/setup-system.sh --office)")
        pytest.skip("LibreOffice is not installed")
    sources = [p for p in fidelity_build.written if p.suffix in (".docx", ".xlsx")]
    assert len(sources) == 2 * len(fidelity_build.done) + 2 * 5  # the forms, and the 汇总表 of 5 units
    for source in sources:  # copies with plain names: one soffice call for all of them
        shutil.copy(source, tmp_path / f"{sources.index(source)}{source.suffix}")
    profile = tmp_path / "profile"
    completed = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path / "pdf"), *sorted(str(p) for p in tmp_path.glob("*.*x"))],
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    for index, source in enumerate(sources):
        pdf = tmp_path / "pdf" / f"{index}.pdf"
        assert pdf.is_file(), (source.name, completed.stdout, completed.stderr)
        text = "".join(page.extract_text() for page in PdfReader(pdf).pages).replace("\n", "")
        assert ("三级指标" in text or "三级目标" in text) and "项目名称" in text, source.name
