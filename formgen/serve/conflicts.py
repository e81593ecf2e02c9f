"""A save refused because the file changed meanwhile, said field by field.

Two people editing one project rarely touch the same fields. Rather than two
YAML texts side by side, the page is given each field whose value differs
between the file as it is now and the version being saved, named by the form's
own labels, with both values; the person takes either side per field, and the
page saves the result over the new version. A file that is no single project
(a YAML slip, several projects) can only be compared as text.
"""

from __future__ import annotations

from .checking import field_label
from .editing import plain_data, version_of

_TREES = ("绩效指标", "绩效目标")


def conflict_view(current: bytes, yours: str) -> dict:
    """What the page shows of a refused save: both texts, the current version, and, when both
    are single projects, the current data and the fields that differ."""
    text = current.decode("utf-8-sig", errors="replace")
    view = {"current": text, "version": version_of(current), "yours": yours}
    theirs, mine = plain_data(text), plain_data(yours)
    if theirs is not None and mine is not None:
        view["current_data"] = theirs
        view["differences"] = differences(theirs, mine)
    return view


def differences(theirs: dict, mine: dict, path: tuple[str, ...] = ()) -> list[dict]:
    """Each field (or whole indicator, group) whose value differs, in the order of ``mine`` then of
    the fields only ``theirs`` has: its path, its label, and each side's value (absent: None,
    with ``in_current`` / ``in_yours`` false)."""
    found = []
    for key in [*mine, *(k for k in theirs if k not in mine)]:
        a, b = theirs.get(key), mine.get(key)
        here = (*path, key)
        if isinstance(a, dict) and isinstance(b, dict):
            found += differences(a, b, here)
        elif a != b or (key in theirs) != (key in mine):
            found.append({"path": list(here), "label": _label(here, a if key in theirs else b),
                          "current": a, "yours": b, "in_current": key in theirs, "in_yours": key in mine})
    return found


def _label(path: tuple[str, ...], value) -> str:
    label = field_label(".".join(path))
    if path[0] in _TREES and len(path) == 4:  # a 三级 whose value is its 指标值, or the whole indicator
        return label + (" › 指标值" if not isinstance(value, dict) else "（整个指标）")
    if isinstance(value, dict):
        return label + "（整组）"
    return label
