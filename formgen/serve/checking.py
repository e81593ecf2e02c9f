"""A project file's text as the editor shows it: the CLI's messages and the computed figures.

The checks are the CLI's own (``load``): the browser shows the same messages
``formgen check`` prints, each with the field path it concerns so that the page can
put it beside that field, and said plainly: the field by the form's own labels
(``项目资金 › 当年财政拨款 › 全年执行数：不能为空，请填写``), without the file and line a
terminal needs, except where only a line can say where (a YAML slip) or the
message is about the unit's ``formgen.yaml``. The figures a form computes (合计, 执行率, 预算执行得分,
总分, 评分等级, the proposed 得分) come from the same model the writers print from;
they are shown even while a rule fails, as long as every field can be read.

Files are named as the user knows them, relative to the workspace: never the
server's own paths.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..errors import Problem, ProjectError
from ..files import display_path
from ..load import load_document, read_settings
from ..load.model import SelfEvaluation
from ..load.pairing import declarations_only_in
from ..load.scoring import propose
from ..load.yamlread import read_documents
from ..wording import format_amount


@dataclass
class Checked:
    """What the editor shows about one version of a project file."""

    problems: list[Problem] = field(default_factory=list)
    computed: dict[str, str] = field(default_factory=dict)  # field path → figure as printed
    kind: str | None = None
    name: str | None = None
    amount: Decimal | None = None
    projects: int = 0  # how many projects the file holds
    file: str = ""  # the project file as its problems name it

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)

    def as_json(self) -> dict:
        return {"ok": self.ok, "computed": self.computed,
                "problems": [{"level": p.level, "field": p.field, "line": p.line, "message": p.message,
                              "text": plain_text(p, self.file)} for p in self.problems]}


def plain_text(problem: Problem, file: str = "") -> str:
    """A problem of project file ``file`` as the page says it: ``项目资金 › 当年财政拨款 › 全年执行数：
    不能为空，请填写``; one of a ``formgen.yaml`` says so."""
    where = field_label(problem.field)
    if problem.file and problem.file != file:
        where = f"单位设置（{Path(problem.file).name}）" + (f"的 {where}" if where else f"第 {problem.line} 行")
    elif not where and problem.line:
        where = f"第 {problem.line} 行"
    return f"{where}：{problem.message}" if where else problem.message


def field_label(field: str) -> str:
    """A field path in the form's own labels: ``项目资金 › 当年财政拨款 › 全年执行数``."""
    return " › ".join(part for part in field.split(".") if part)


def check_text(root: Path, file: Path, text: str, readable: tuple[Path, ...]) -> Checked:
    """Check ``text`` as the content of project file ``file`` in workspace ``root``; a 申报表 it names
    is read only inside the ``readable`` folders (the user's units)."""
    with declarations_only_in(readable):
        checked = _checked(root, file, text)
    checked.problems = [shown_path(problem, root) for problem in checked.problems]
    checked.file = shown_file(file, root)
    return checked


def shown_path(problem: Problem, root: Path) -> Problem:
    """``problem`` with its file named relative to the workspace (the file name alone when outside). Its
    message is left as it is: a check's messages name no server path, only what the user wrote."""
    return dataclasses.replace(problem, file=shown_file(problem.file, root)) if problem.file else problem


def shown_file(file: str | Path, root: Path) -> str:
    """A file as the users know it: relative to the workspace, or by its name alone when outside."""
    path = Path(os.path.abspath(file))  # display_path made it relative to the current folder
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def without_server_paths(message: str, root: Path, output: Path | None = None) -> str:
    """``message`` with the server's own folders named as a user knows them: a file of the workspace by
    its relative path, an output by its path in the output folder (as the zip and the downloads name
    it), formgen's built-in templates by their name (template errors give full paths)."""
    from ..layout.layouts import BUILTIN_TEMPLATES

    if output is not None:
        message = message.replace(f"{output}{os.sep}", "")
    return message.replace(f"{root}{os.sep}", "").replace(f"{BUILTIN_TEMPLATES}{os.sep}", "formgen 内置模板 ")


def _checked(root: Path, file: Path, text: str) -> Checked:
    checked = Checked()
    try:
        settings = read_settings(file.parent, root)
        documents = read_documents(text, display_path(file))
    except ProjectError as error:
        checked.problems = error.problems
        return checked
    if not documents:
        checked.problems = [Problem(display_path(file), None, "", "文件中没有项目")]
    checked.projects = len(documents)
    for document in documents:
        try:
            loaded = load_document(document, file, settings)
            checked.problems += loaded.warnings
            project = loaded.project
        except ProjectError as error:
            checked.problems += error.problems
            try:  # the figures still help while a rule fails, if every field could be read
                project = load_document(document, file, settings, apply_rules=False).project
            except ProjectError:
                continue
        if checked.kind is None:
            checked.kind, checked.name, checked.amount = project.form, project.name, project.headline_amount
            checked.computed = computed_figures(project)
    return checked


def computed_figures(project) -> dict[str, str]:
    """The figures formgen computes for a form, by the field path they are shown beside."""
    money = lambda amount: format_amount(amount, 2)  # noqa: E731 - the editor shows cents always
    if not isinstance(project, SelfEvaluation):
        funding = project.funding
        sums = {}
        if getattr(funding, "fiscal", None) is not None or getattr(funding, "other", None) is not None:
            sums["项目资金.项目资金总额"] = money((funding.fiscal or 0) + (funding.other or 0))
        parts = [getattr(funding, name, None) for name in ("annual_appropriation", "carried_over", "annual_other")]
        if any(part is not None for part in parts):
            sums["项目资金.年度资金申请总额"] = money(sum((p or 0 for p in parts), Decimal(0)))
        return sums
    figures = {}
    for _, key, line in project.funding.rows():
        figures[f"项目资金.{key}.执行率"] = f"{line.rate:.2f}%"
        if key == "年度资金总额":
            for name, amount in (("年初预算数", line.initial), ("全年预算数", line.annual), ("全年执行数", line.executed)):
                figures[f"项目资金.年度资金总额.{name}"] = money(amount)
    figures["预算执行得分"] = f"{project.budget_score:.2f}"
    figures["分值合计"] = f"{project.total_weight:.2f}"
    total, grade = project.total_score, project.grade
    figures["总分"] = "—（有指标未评分）" if total is None else f"{total:.2f}"
    figures["评分等级"] = grade or "—"
    for level1, level2, name, item in project.evaluations():
        proposal = propose(item.target, item.actual, item.weight)
        if proposal is not None:
            figures[f"绩效指标.{level1}.{level2}.{name}.建议得分"] = f"{proposal.score.normalize():f}"
    return figures
