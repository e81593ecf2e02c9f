"""A 自评表 held against the 申报表 it was drafted from.

``formgen new 自评表 --from`` records the 申报表 in the draft (``申报表: 课题研究.yaml``).
Over the year indicators get renamed and budgets move; a self-evaluation whose
indicators, 指标值 or 年初预算数 no longer say what was declared is worth a warning
for each difference, so that it is a decision and not a slip. So is a 自评表 that names
the 申报表 of another year: the 自评表 of year N evaluates what the 申报表 of year N
declared.

The path is the user's, relative to the 自评表, and messages name it as written. On
the command line it is read wherever it leads. ``formgen serve`` reads it only inside
the folders the user may open (``declarations_only_in``), never through a link, and
says nothing about a path outside them, not even whether it exists: the warnings
would otherwise print another unit's indicators and amounts.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path, PurePath

from ..errors import Problem, ProjectError
from .messages import shown
from .model import Declaration, SelfEvaluation


def check_against_declaration(loaded) -> list[Problem]:
    """Warnings for each way a 自评表 differs from its recorded 申报表 (none without one)."""
    project = loaded.project
    if not isinstance(project, SelfEvaluation):
        return []
    problems = [loaded.problem(("项目资金", key, "全年执行数"),
                               f"{key}的全年执行数大于全年预算数（执行率 {line.rate}%），请核对", "warning")
                for _, key, line in project.funding.rows()[1:] if line.executed > line.annual]
    if not project.declaration or _reading_declaration.get():  # a 自评表 named as a 申报表 is not read on
        return problems
    path = _readable_path(Path(loaded.file).parent, project.declaration)
    if path is None:
        declaration = f"申报表 {project.declaration} 不在您可以打开的单位目录中，未核对（应写相对于本文件的路径）"
    else:
        declaration = _declaration(loaded, path, project.declaration)
    if isinstance(declaration, str):
        return problems + [loaded.problem(("申报表",), declaration, "warning")]
    return (problems + _year(loaded, project, declaration) + _indicators(loaded, project, declaration)
            + _budgets(loaded, project, declaration))


def declaration_path(text: str) -> str | None:
    """The ``申报表:`` a 自评表 text names, read without parsing it (for build fingerprints)."""
    for line in text.splitlines():
        if line.startswith("申报表:"):
            return line.split(":", 1)[1].split("#")[0].strip().strip("'\"") or None
    return None


# The folders a 申报表 may be read from (None: anywhere), for the checks of this thread or task.
_readable: ContextVar[tuple[Path, ...] | None] = ContextVar("readable declarations", default=None)
_reading_declaration: ContextVar[bool] = ContextVar("reading a declaration", default=False)


@contextmanager
def declarations_only_in(folders: tuple[Path, ...] | None):
    """Within this block a 申报表 is read only inside ``folders`` (None: anywhere), not through a link."""
    token = _readable.set(None if folders is None else tuple(Path(os.path.abspath(f)) for f in folders))
    try:
        yield
    finally:
        _readable.reset(token)


def _readable_path(folder: Path, written: str) -> Path | None:
    """The file ``written`` names from ``folder``, or None when it may not be read here."""
    folders = _readable.get()
    if folders is None:
        return folder / written
    if PurePath(written).is_absolute() or "\0" in written:
        return None
    path = Path(os.path.normpath(os.path.abspath(folder / written)))  # ".." resolved by name, not by links
    inside = next((f for f in folders if f == path or f in path.parents), None)
    if inside is None:
        return None
    step = inside
    try:
        for part in path.relative_to(inside).parts:
            step = step / part
            if step.is_symlink():
                return None
    except OSError:  # a name too long for the file system
        return None
    return path


def _declaration(loaded, path: Path, written: str) -> Declaration | str:
    from .project import load_file  # project imports this module; a 申报表 reads as it would on its own
    from .settings import read_settings

    try:
        found = path.is_file()
    except (OSError, ValueError):  # a name too long, a NUL in it
        found = False
    if not found:
        return f"找不到申报表 {written}（相对于本文件所在的目录），无法核对指标和预算"
    root = Path(os.path.commonpath([path.parent.absolute(), Path(loaded.file).parent.absolute()]))
    token = _reading_declaration.set(True)
    try:
        results = load_file(path, read_settings(path.parent.absolute(), root))
    except ProjectError:
        results = []
    finally:
        _reading_declaration.reset(token)
    declarations = [r.project for r in results if not isinstance(r, ProjectError) and r.project.form == "申报表"]
    named = [d for d in declarations if d.name == loaded.project.name] or declarations
    return named[0] if named else f"申报表 {written} 读不出或有错误，无法核对：请先改正它（formgen check）"


def _year(loaded, project: SelfEvaluation, declaration: Declaration) -> list[Problem]:
    if project.year == declaration.year:
        return []
    return [loaded.problem(("年度",), f"自评表为 {project.year} 年度，所依据的申报表为 {declaration.year} 年度："
                                     f"{declaration.year} 年度的自评表应由 {declaration.year} 年度的申报表生成，请核对",
                           "warning")]


def _indicators(loaded, project: SelfEvaluation, declaration: Declaration) -> list[Problem]:
    declared = {(l1, l2, name): target for l1, groups in declaration.indicators.items()
                for l2, items in groups.items() for name, target in items.items()}
    evaluated = {(l1, l2, name): item.target for l1, l2, name, item in project.evaluations()}
    problems = []
    for key, target in evaluated.items():
        path = ("绩效指标", *key)
        if key not in declared:
            problems.append(loaded.problem(path, "申报表中没有这个指标（或在另一个一级、二级指标下）", "warning"))
        elif declared[key] != target:
            problems.append(loaded.problem(path + ("指标值",),
                                           f"指标值与申报表不同：自评表为 {shown(target)}，申报表为 {shown(declared[key])}", "warning"))
    for key in declared.keys() - evaluated.keys():
        problems.append(loaded.problem(("绩效指标",), f"申报表中的指标 {' / '.join(map(shown, key))} 不在自评表中", "warning"))
    return problems


def _budgets(loaded, project: SelfEvaluation, declaration: Declaration) -> list[Problem]:
    f = declaration.funding
    pairs = (("当年财政拨款", project.funding.appropriation, f.annual_appropriation),
             ("上年结转资金", project.funding.carried_over, f.carried_over),
             ("其他资金", project.funding.other, f.annual_other))
    return [loaded.problem(("项目资金", key, "年初预算数"),
                           f"年初预算数与申报表不同：自评表为 {line.initial}，申报表为 {declared}", "warning")
            for key, line, declared in pairs if declared is not None and line.initial != declared]
