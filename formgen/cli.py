"""The ``formgen`` command: click wiring and messages only; the work is done by the other modules."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .workspace import Report, build as build_workspace, check as check_workspace
from . import cli_text
from .errors import FormgenError
from .files import display_path, os_error_text, write_text_atomically
from .summary import built_text, print_problems, summarise, summary_line
from .writers import FORMATS, parse_formats

cli_text.install()
_PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[路径]...")


def _formats(ctx, param, value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    formats = parse_formats(value)
    if formats is None:
        raise click.BadParameter(f"格式应为 {','.join(FORMATS)} 中的一个或多个，实际为 {value!r}")
    return formats


class _Command(click.Command):
    """A command whose -h/--help speaks Chinese like the rest of the interface."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "显示本帮助并退出。"
        return option


class _Group(_Command, click.Group):
    command_class = _Command
    group_class = type

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # click would print an English "Aborted!"
            click.echo("\n已中断：已写完的文件都完整保留，再次运行即可继续。", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="formgen", message="formgen %(version)s", help="显示版本并退出。")
def main() -> None:
    """formgen：由 YAML 项目文件生成财政项目支出绩效表单（DOCX、XLSX、PDF）。"""


def _report_options(function):
    """-q and --strict, shared by build, watch and check."""
    function = click.option("--strict", is_flag=True, help="有警告也算失败（退出码非零），适合自动检查。")(function)
    return click.option("-q", "--quiet", is_flag=True, help="不列出警告和提示，只列出错误和结果。")(function)


def _build_options(function):
    """-o, -f and -j, shared by build and watch."""
    function = _report_options(function)
    function = click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
                            help="同时使用的进程数（默认：全部 CPU 核）。")(function)
    function = click.option("-f", "--formats", callback=_formats, metavar="docx,xlsx,pdf",
                            help="只生成这些格式（默认：formgen.yaml 中的 格式，否则全部）。")(function)
    return click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
                        help="输出目录，目录结构与输入相同。")(function)


@main.command()
@_PATHS
@_build_options
def build(paths: tuple[Path, ...], output: Path, formats: tuple[str, ...] | None, jobs: int | None,
          quiet: bool, strict: bool) -> None:
    """生成 路径 下所有项目的表单和汇总表（默认当前目录），只重新生成有改动的。

    \b
    示例：
      formgen build samples -o output
      formgen build 我的单位 -o 输出 -f docx,pdf
      formgen build 我的单位/课题研究.yaml -o 输出
    """
    report = _run(lambda: _build_with_progress(list(paths) or [Path(".")], output, formats, jobs))
    summarise(report, built_text(report), report.new_warnings, quiet, strict)


def _build_with_progress(paths, output, formats, jobs) -> Report:
    """A progress bar with the current project on a terminal; one line per form otherwise."""
    if not sys.stdout.isatty():
        def line(done, total, label, ok):
            click.echo(f"{'已生成' if ok else '未生成'} {label}")

        return build_workspace(paths, output, formats, jobs, on_progress=line)
    bar = None
    try:
        def progress(done, total, label, ok):
            nonlocal bar
            if bar is None:
                bar = click.progressbar(length=total, label="生成中", item_show_func=lambda item: item)
                bar.__enter__()
            bar.update(1, label)

        return build_workspace(paths, output, formats, jobs, on_progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@main.command()
@_PATHS
@_build_options
@click.option("--interval", type=float, default=0.5, show_default=True, help="检查改动的间隔（秒）。")
def watch(paths: tuple[Path, ...], output: Path, formats: tuple[str, ...] | None, jobs: int | None,
          quiet: bool, strict: bool, interval: float) -> None:
    """先生成一次，然后每次保存项目文件、formgen.yaml 或模板时重新生成，直到按 Ctrl-C。

    \b
    示例：
      formgen watch 我的单位 -o 输出
    """
    from .workspace.watch import watch as watch_loop

    def rebuilt(report: Report) -> None:
        for form in report.built:
            click.echo(f"已生成 {form.label}")
        print_problems(report, report.new_warnings, quiet)
        shown = report.warnings if quiet else report.new_warnings
        click.echo(f"{time.strftime('%H:%M:%S')} {summary_line(report, built_text(report), strict, shown)}"
                   "正在监视改动（Ctrl-C 结束）……")

    try:
        watch_loop(list(paths) or [Path(".")], output, formats, jobs, interval, rebuilt,
                   lambda error: click.echo(f"错误：{error}", err=True))
    except KeyboardInterrupt:
        click.echo("已停止监视。")


@main.command()
@_PATHS
@_report_options
def check(paths: tuple[Path, ...], quiet: bool, strict: bool) -> None:
    """只检查 路径 下的项目文件，不写任何文件。

    \b
    示例：
      formgen check 我的单位
      formgen check 我的单位/课题研究.yaml
    """
    report = _run(lambda: check_workspace(list(paths) or [Path(".")]))
    summarise(report, f"检查通过 {len(report.done)} 个项目", report.warnings, quiet, strict)


@main.command()
@click.argument("kind", type=click.Choice(["自评表"]))
@click.option("--from", "source", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="上一年度的申报表项目文件。")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="要写出的自评表项目文件。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件。")
def new(kind: str, source: Path, output: Path, force: bool) -> None:
    """由上一年度的申报表生成自评表草稿（目前只有 自评表）。

    \b
    示例：
      formgen new 自评表 --from 课题研究.yaml -o 课题研究-自评.yaml
    """
    from .commands.new import new_self_evaluation

    failed = _run(lambda: new_self_evaluation(source, output, force))
    if failed is not None:
        summarise(failed, "未生成", failed.warnings, False, False)
    click.echo(f"已生成 {display_path(output)}：请填写标有「待填写」的字段，然后运行 formgen check {display_path(output)}")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), metavar="目录")
def init(folder: Path) -> None:
    """新建工作区 目录：formgen.yaml、申报表和自评表示例、使用说明、字段说明。

    \b
    示例：
      formgen init 我的单位
    """
    from .commands.init import init_workspace

    for path in _run(lambda: init_workspace(folder)):
        click.echo(f"已创建 {display_path(path)}")


@main.group()
def templates() -> None:
    """模板：导出内置模板，放在工作区的 templates/ 中修改后即对该工作区生效。"""


@templates.command("export")
@click.argument("workspace", type=click.Path(file_okay=False, path_type=Path), metavar="工作区")
def templates_export(workspace: Path) -> None:
    """把内置模板复制到 工作区/templates/。

    \b
    示例：
      formgen templates export 我的单位
    """
    from .commands.init import export_templates

    for path in _run(lambda: export_templates(workspace)):
        click.echo(f"已导出 {display_path(path)}")
    click.echo("修改这些文件即可改变该工作区三种格式的表样；模板约定见 docs/templates.md。")


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="写入文件（默认输出到屏幕）。")
@click.option("--reference", is_flag=True, help="输出给人看的字段说明（Markdown），而不是 JSON Schema。")
def schema(output: Path | None, reference: bool) -> None:
    """输出项目文件的 JSON Schema（供编辑器补全和检查），或字段说明。

    \b
    示例：
      formgen schema -o formgen.schema.json
      formgen schema --reference -o 字段说明.md
    """
    from .commands.schema import field_reference, schema_text

    text = field_reference() if reference else schema_text()
    if output is None:
        click.echo(text, nl=False)
    else:
        _run(lambda: write_text_atomically(output, text))
        click.echo(f"已写入 {display_path(output)}")


@main.command()
@click.argument("workspace", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="工作区")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="输出目录（与 formgen build 相同）。")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址；127.0.0.1 只有本机能打开，0.0.0.0 让局域网都能打开（须 --users）。")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="端口。")
@click.option("--users", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="用户文件（formgen user add 生成）；不在本机地址上监听时必须给出。")
@click.option("--allow-host", "allowed_hosts", multiple=True, metavar="名称",
              help="同事在浏览器地址栏中用的服务器名称（如 formgen.example.gov.cn），可写多次；用 IP 地址打开时不必写。")
@click.option("--proxy", "proxies", multiple=True, metavar="地址",
              help="HTTPS 反向代理的 IP 地址，可写多次：只相信它转来的 X-Forwarded-For 和 X-Forwarded-Proto。")
@click.option("--preview-seconds", type=click.FloatRange(1, 3600), default=30, show_default=True, metavar="秒",
              help="一次预览最长的时间，超过则停止（很大的项目请生成后下载 PDF 查看）。")
def serve(workspace: Path, output: Path, host: str, port: int, users: Path | None,
          allowed_hosts: tuple[str, ...], proxies: tuple[str, ...], preview_seconds: float) -> None:
    """在浏览器中编辑、检查、预览和下载 工作区 的表单。

    \b
    示例：
      formgen serve 我的单位                         （本机使用，打开 http://127.0.0.1:8000）
      formgen serve 工作区 --host 0.0.0.0 --users 用户.yaml   （供全单位在局域网使用）
      formgen serve 工作区 --users 用户.yaml --proxy 127.0.0.1 --allow-host formgen.example.gov.cn
                                                      （在 HTTPS 反向代理之后）
    """
    from .serve import run

    _run(lambda: run(workspace, output, host, port, users, click.echo, allowed_hosts, proxies, preview_seconds))


@main.group()
def user() -> None:
    """formgen serve 的用户：添加用户或修改密码。"""


def _users_file(ctx, param, value: Path) -> Path:
    """Refused before the password is asked: a file that is not a users file is never written."""
    from .serve.access import check_users_file

    _run(lambda: check_users_file(value))
    return value


def _user_name(ctx, param, value: str) -> str:
    from .serve.access import name_problem

    problem = name_problem(value)
    if problem:
        _fail(problem)
    return value


@user.command("add")
@click.argument("users", type=click.Path(dir_okay=False, path_type=Path), metavar="用户文件", callback=_users_file)
@click.argument("name", metavar="用户名", callback=_user_name)
@click.option("-u", "--unit", "units", multiple=True, metavar="单位目录",
              help="该用户可查看和编辑的单位目录，可写多次；不写则为全部单位。")
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入密码", help="密码（不写则提示输入）。")
def user_add(users: Path, name: str, units: tuple[str, ...], password: str) -> None:
    """在 用户文件 中添加用户（已有则修改其密码和单位，并结束其已登录的会话）；密码只保存哈希。

    \b
    用户文件只能是新文件，或已有的用户文件：formgen 不会改写其他文件。
    \b
    示例：
      formgen user add 用户.yaml 张三 -u 上海市某某局-2024
    """
    from .serve.access import add_user

    if len(password) < 8:
        raise click.BadParameter("密码至少 8 个字符", param_hint="--password")
    _run(lambda: add_user(users, name, password, list(units)))
    click.echo(f"已保存用户 {name}（{'、'.join(units) if units else '全部单位'}）到 {display_path(users)}")


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                metavar="文件...")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="写入项目文件的目录。")
def import_(files: tuple[Path, ...], output: Path) -> None:
    """从已有的表单（申报表、自评表、目标表）读出项目文件，每张表一个。

    可导入 XLSX、XLS、DOCX、PDF；DOC、WPS、ET 等需安装 LibreOffice（自动转换）。

    \b
    示例：
      formgen import 旧表/*.xlsx 旧表/*.doc 去年的汇总表.pdf -o 我的单位
    """
    from .commands.importing import import_files

    def import_all():
        output.mkdir(parents=True, exist_ok=True)
        return import_files(list(files), output)

    results = _run(import_all)
    for result in results:
        if result.written:
            click.echo(f"已导入 {result.source} → {display_path(result.written)}")
        for problem in result.problems:
            click.echo(f"错误：{problem}", err=True)
        for note in result.notes:
            click.echo(f"提示：{note}", err=True)
    failed = [r for r in results if r.written is None]
    click.echo(f"{'完成' if not failed else '未全部完成'}：导入 {len(results) - len(failed)} 张表"
               + (f"，失败 {len(failed)} 张" if failed else "") + "。")
    if failed:
        raise SystemExit(1)


def _run(action):
    try:
        return action()
    except FormgenError as error:  # the one place errors become messages and exit codes
        _fail(str(error), error.exit_code)
    except OSError as error:  # what the system refused (a folder where a file goes, no room): said in Chinese
        _fail(os_error_text(error))


def _fail(message: str, exit_code: int = 1):
    click.echo(f"错误：{message}", err=True)
    raise SystemExit(exit_code) from None
