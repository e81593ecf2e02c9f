"""A build's or a check's outcome as the lines a user reads: problems, then one summary line."""

from __future__ import annotations

import click

from .errors import LEVEL_NAMES
from .workspace import Report


def built_text(report: Report) -> str:
    text = f"生成 {len(report.built)} 个表单"
    if report.unchanged:
        text += f"，未改动 {len(report.unchanged)} 个"
    if report.compilations:
        text += f"，汇总表 {len(report.compilations)} 个文件"
    if report.removed:
        text += f"，删除过时文件 {len(report.removed)} 个"
    return text


def print_problems(report: Report, warnings: list, quiet: bool) -> None:
    """Errors always; warnings and notes of ``warnings`` unless ``quiet``."""
    for problem in ([] if quiet else warnings) + [p for problems in report.failed for p in problems]:
        click.echo(f"{LEVEL_NAMES[problem.level]}：{problem}", err=True)


def summary_line(report: Report, done_text: str, strict: bool, shown: list) -> str:
    """``完成：生成 3 个表单，警告 2 条（1 条属未改动的项目，不再列出），用时 1.0 秒。``"""
    parts = [done_text]
    if report.failed:
        parts.append(f"失败 {len(report.failed)} 个")
    for level in ("warning", "note"):
        count = sum(1 for p in report.warnings if p.level == level)
        unshown = count - sum(1 for p in shown if p.level == level)
        if count:
            parts.append(f"{LEVEL_NAMES[level]} {count} 条" + (f"（{unshown} 条属未改动的项目，不再列出）" if unshown else ""))
    parts.append(f"用时 {report.seconds:.1f} 秒")
    ok = report.ok and not (strict and _has_warnings(report))
    verdict = "完成" if ok else "未全部完成" if not report.ok else "有警告（--strict）"
    return f"{verdict}：{'，'.join(parts)}。"


def _has_warnings(report: Report) -> bool:
    return any(p.level == "warning" for p in report.warnings)


def summarise(report: Report, done_text: str, warnings: list, quiet: bool, strict: bool) -> None:
    print_problems(report, warnings, quiet)
    click.echo(summary_line(report, done_text, strict, report.warnings if quiet else warnings))
    if not report.ok or (strict and _has_warnings(report)):
        raise SystemExit(1)
