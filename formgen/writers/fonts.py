"""Compact Song faces for fast PDFs: Noto Serif CJK SC cut down to GB2312 and punctuation.

WeasyPrint subsets every font it embeds, for every PDF. On the full Noto Serif CJK
collection (65,000 glyphs, five languages) that costs about 50 ms per weight per
form, more than half the time of writing a PDF. Cut once, per machine, to the
8,600 characters a form uses in practice, the same subsetting takes a third of
that, and the PDFs are half the size. A character outside the cut is printed from
the full face, which stays next in the font list, so nothing is ever left blank.

Each weight is cut in two, because WeasyPrint's subsetting costs grow with the face it
subsets, whatever few glyphs a form takes from it: the common part (Latin, signs, punctuation
and the 3,755 hanzi of GB2312's first level) and the rare part (its second level), so that a
form using no rare hanzi (most) subsets a face of 5,800 glyphs, not 8,600, and its PDF is a
quarter smaller. The parts are two families, ``FAMILIES``, listed in that order in form.css.

Both weights are cut at the same place, and must be. Within a family fontconfig picks a face
by the characters it covers before its weight, so a bold character missing from the bold face
is drawn from the regular face of the same family, described by Pango as bold (synthetic). And
WeasyPrint tells fonts apart by that description (family, weight, style), not by their file:
the regular face and the real bold one become one font, subset from one file, and the glyphs
of the other are drawn with its glyph numbers, so the words print as other characters. That
garbled every 汇总表 cover while the bold cut held only the titles' hanzi.

``python -m formgen.writers.fonts`` makes the cut faces (``make setup`` runs it); until they
exist the PDF writer uses the full face, correct but slower.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..files import write_atomically

FAMILIES = ("formgen Song", "formgen Song 2")  # the common part, the rare part
SOURCES = {"normal": "NotoSerifCJK-Regular.ttc", "bold": "NotoSerifCJK-Bold.ttc"}
_FONT_FOLDERS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/noto-cjk"))
SIMPLIFIED_CHINESE = 2  # index of Noto Serif CJK SC in the collection


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "formgen" / "fonts"


def source(weight: str) -> Path | None:
    """The full Noto Serif CJK collection of a weight, which the parts are cut from (face
    ``SIMPLIFIED_CHINESE`` in it), or None."""
    return next((folder / SOURCES[weight] for folder in _FONT_FOLDERS if (folder / SOURCES[weight]).is_file()), None)


def _cut_path(full: Path, part: int) -> Path:
    """Where a part is kept: named by its source file and by the characters it holds, so that a
    change of either cuts it again."""
    stat = full.stat()
    chars = "".join(sorted(characters()[part]))
    key = hashlib.sha256(f"{full}:{stat.st_size}:{stat.st_mtime_ns}:{chars}".encode()).hexdigest()[:16]
    return cache_folder() / f"{full.stem}-{part}-{key}.otf"


@functools.cache
def characters() -> tuple[frozenset[str], frozenset[str]]:
    """The characters of each part, the same in both weights (see the module's docstring)."""
    common = {chr(c) for c in range(0x20, 0x250)}
    for start, end in ((0x2000, 0x2070), (0x2100, 0x2300), (0x2460, 0x2500), (0x3000, 0x3040), (0xFF00, 0xFFF0)):
        common |= {chr(c) for c in range(start, end)}
    rare = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                (rare if high > 0xD7 else common).add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return frozenset(common), frozenset(rare)


def font_faces() -> dict[tuple[str, str], Path]:
    """The cut faces that exist, by (family, CSS weight); empty when they have not been made."""
    faces = {}
    for weight in SOURCES:
        full = source(weight)
        for part, family in enumerate(FAMILIES):
            path = _cut_path(full, part) if full is not None else None
            if path is not None and path.is_file():
                faces[family, weight] = path
    return faces


def font_face_css() -> str:
    """``@font-face`` rules for the cut faces, or nothing."""
    return "".join(f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); font-weight: {weight}; }}\n'
                   for (family, weight), path in font_faces().items())


def _cut(job: tuple[str, int]) -> str:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    weight, part = job
    full = source(weight)
    target = _cut_path(full, part)
    font = TTFont(full, fontNumber=SIMPLIFIED_CHINESE, lazy=True)
    options = subset.Options()
    options.name_IDs, options.layout_features, options.notdef_outline, options.hinting = ["*"], ["*"], True, False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in characters()[part]])
    subsetter.subset(font)
    write_atomically(target, lambda path: font.save(str(path)))
    return str(target)


def make_faces() -> list[str]:
    """Cut the faces not cut yet (in parallel: each takes 10 to 20 s); the paths made."""
    current = {_cut_path(source(weight), part): (weight, part) for weight in SOURCES
               if source(weight) is not None for part in range(len(FAMILIES))}
    for old in cache_folder().glob("*.otf"):  # cuts of an earlier version or of an updated source
        if old not in current:
            old.unlink(missing_ok=True)
    missing = [job for path, job in current.items() if not path.is_file()]
    if not missing:
        return []
    print("正在生成 PDF 用的精简宋体（仅首次，约 40 秒）……", flush=True)
    with ProcessPoolExecutor(min(len(missing), os.cpu_count() or 1)) as pool:
        return list(pool.map(_cut, missing))


if __name__ == "__main__":
    if not all(source(w) for w in SOURCES):
        sys.exit("未找到 Noto Serif CJK 字体，请先运行 scripts/setup-system.sh")
    try:
        for made in make_faces():
            print(f"字体：{made}")
    except OSError as error:  # no writable cache: PDFs still print, from the full face
        print(f"未能生成精简字体（{error}）；PDF 将使用完整字体，速度较慢", file=sys.stderr)
