#!/usr/bin/env python3
"""Count the cells of every sample whose last printed line holds one character alone ("指/标").

    .venv/bin/python scripts/orphan-lines.py [SAMPLES]

Column widths are chosen so that labels and short values do not wrap like this; a long 三级
name at the edge of its column still may. Lays every sample out with WeasyPrint (as its PDF)
and lists the cells of two or three lines that end with a single character, most frequent first.
"""

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from readback import cell_lines  # noqa: E402

from formgen.layout import Layouts  # noqa: E402
from formgen.workspace import check  # noqa: E402


def main(samples: Path) -> int:
    layouts, found = Layouts(), Counter()
    for form in check([samples]).done:
        for tag, lines in cell_lines(layouts.sheet(form.loaded.project)):
            if 2 <= len(lines) <= 3 and len(lines[-1].strip()) == 1:
                found[form.kind, tag, "/".join(lines)] += 1
    for (kind, tag, text), count in found.most_common():
        print(count, kind, tag, text)
    print(f"cells with one character alone on the last line: {sum(found.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "samples"))
