#!/usr/bin/env python3
"""Count the lines of every sample's PDF a typesetter would not accept: a cell whose last printed
line holds one character alone ("指/标"), a line that starts with closing punctuation (``）``, ``，``,
``%`` …) or ends with an opening one (``（``, ``(`` …).

    .venv/bin/python scripts/orphan-lines.py [SAMPLES]

Column widths are chosen so that labels and short values do not wrap like this; a long 三级
name at the edge of its column still may. Lays every sample out with WeasyPrint (as its PDF,
cut into its planned pages) and lists the cells of two or three lines that end with a single
character, most frequent first, then the lines that start or end with the wrong punctuation.
"""

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from readback import cell_lines, printed_sheet  # noqa: E402

from formgen.workspace import check  # noqa: E402

CLOSING = "）)】》」』〕］]｝}。，、；：？！%％.,;:?!"
OPENING = "（(【《「『〔［[｛{"


def main(samples: Path) -> int:
    orphans, wrong = Counter(), []
    for form in check([samples]).done:
        for tag, lines in cell_lines(printed_sheet(form.loaded.project)):
            if 2 <= len(lines) <= 3 and len(lines[-1].strip()) == 1:
                orphans[form.kind, tag, "/".join(lines)] += 1
            for before, line in zip(lines, lines[1:]):
                if line.lstrip()[:1] in CLOSING or before.rstrip()[-1:] in OPENING:
                    wrong.append(f"{form.kind} {form.name}: {before} / {line}")
    for (kind, tag, text), count in orphans.most_common():
        print(count, kind, tag, text)
    print(*wrong, sep="\n")
    print(f"cells with one character alone on the last line: {sum(orphans.values())}")
    print(f"lines starting with closing punctuation or a line before ending with an opening one: {len(wrong)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "samples"))
