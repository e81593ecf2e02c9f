#!/usr/bin/env python3
"""Compare two output folders of formgen, file by file, as a reader would see them.

    .venv/bin/python scripts/compare-outputs.py BEFORE AFTER

For a change that must not alter any form (a refactoring): build the samples before and
after it into two folders, then run this. DOCX: every paragraph and table cell with its
merges and text; XLSX: every sheet's cells, merged ranges and values; PDF: every page
rendered to an image by pdftoppm (poppler-utils) and compared pixel for pixel. Prints one
line per file that differs and a count; exits 1 when any differs. The readers are the
tests' own (tests/readback.py).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from readback import CONTENT, compare_folders  # noqa: E402


def main(before: Path, after: Path) -> int:
    names, differing = compare_folders(before, after)
    for line in differing:
        print(line)
    counts = ", ".join(f"{sum(1 for n in names if n.suffix == suffix)} {suffix[1:]}" for suffix in CONTENT)
    print(f"compared {len(names)} files ({counts}): {len(names) - len(differing)} the same, {len(differing)} different")
    return 1 if differing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
