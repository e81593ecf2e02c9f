"""The environment a form's templates run in: Jinja's immutable sandbox, with a budget.

A workspace's templates may come from someone else (a shared workspace), and a template
is a small program. The sandbox already keeps it from Python's modules and from
changing the project; this module keeps it from running away or reading what it should not:

* time: a render may take ``RENDER_SECONDS`` (the built-in templates take a few ms). Every
  ``{% for %}`` loop is paced (the code generator wraps its iterable) and every call a
  template makes is checked, so nested ``range(100000)`` loops and runaway macro
  recursion stop at the deadline;
* size: one operation may make at most ``MAX_VALUE_SIZE`` characters or items
  (``'x' * 3000000000``, ``s.center(n)``, ``'%9999999d' % 1``, ``s ~ s`` doubled in a
  loop, ``|batch(n)``), and an integer at most ``MAX_INTEGER_DIGITS`` digits (``10 ** 5000``);
* files: templates are read only from real files in the templates folders: a symbolic
  link (to a file, or a folder on the way) is refused, so ``{% include %}`` cannot read a
  file outside the workspace; so is anything that is not a regular file or is over
  ``MAX_TEMPLATE_BYTES``.

What goes over a budget raises ``BudgetExceeded``, with the Chinese message the user reads.
"""

from __future__ import annotations

import functools
import math
import os
import re
import stat
import string
import time
import types
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

RENDER_SECONDS = 10.0
MAX_VALUE_SIZE = 1_000_000
MAX_INTEGER_DIGITS = 4_000  # Python itself refuses to print an integer of more than 4,300
MAX_TEMPLATE_BYTES = 1_000_000

_deadline: ContextVar[float] = ContextVar("formgen_render_deadline", default=math.inf)
_DIGITS_A_BIT = math.log10(2)
_FORMAT_SPEC = re.compile(r"%[^%a-zA-Z]*")  # the flags, width and precision of a %-conversion


class BudgetExceeded(Exception):
    """A template went over its time or size budget; the message says which, in Chinese."""


@contextmanager
def render_budget(seconds: float | None = None):
    """The deadline of the render run inside (``RENDER_SECONDS`` from now, read at call time)."""
    token = _deadline.set(time.monotonic() + (RENDER_SECONDS if seconds is None else seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def _check_time() -> None:
    if time.monotonic() > _deadline.get():
        raise BudgetExceeded(f"模板运行超过 {RENDER_SECONDS:g} 秒，已停止：请检查其中的循环或递归")


def _check_size(size: int) -> None:
    if size > MAX_VALUE_SIZE:
        raise BudgetExceeded(f"模板的一步运算会得到 {size:,} 个字符或元素，超过上限 {MAX_VALUE_SIZE:,}")


def _check_digits(bits: int) -> None:
    if bits * _DIGITS_A_BIT > MAX_INTEGER_DIGITS:
        raise BudgetExceeded(f"模板中的整数过大（约 {bits * _DIGITS_A_BIT:,.0f} 位），最多 {MAX_INTEGER_DIGITS:,} 位")


def _check_format(text: str, arguments) -> None:
    """``'%9999999d' % 1`` pads to a width given in the format, or ``'%*d' % (n, 1)`` in its arguments."""
    for spec in _FORMAT_SPEC.findall(text):
        for number in re.findall(r"\d+", spec):
            _check_size(int(number))
        if "*" in spec:
            given = arguments if isinstance(arguments, tuple) else (arguments,)
            for value in given:
                if isinstance(value, int):
                    _check_size(abs(value))


def _check_format_fields(text: str, args: tuple, kwargs: dict) -> None:
    """The widths of ``str.format``'s fields, written (``{:>9999999}``) or given (``{:>{}}``)."""
    for _, _, spec, _ in string.Formatter().parse(text):
        for number in re.findall(r"\d+", spec or ""):
            _check_size(int(number))
        if spec and "{" in spec:
            for value in (*args, *kwargs.values()):
                if isinstance(value, int):
                    _check_size(abs(value))


def sized(value):
    """``value`` when it is within ``MAX_VALUE_SIZE`` (the result of ``~`` and ``+``)."""
    if isinstance(value, (str, bytes, list, tuple)):
        _check_size(len(value))
    return value


def paced(iterable):
    """The items of a ``{% for %}`` loop, the deadline checked every 256 of them."""
    for count, item in enumerate(iterable):
        if count & 255 == 0:
            _check_time()
        yield item


_SEQUENCES = (str, bytes, list, tuple)


def _check_operation(operator: str, left, right) -> None:
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, _SEQUENCES) and isinstance(times, int):
                _check_size(len(sequence) * times)
        if isinstance(left, int) and isinstance(right, int):
            _check_digits(left.bit_length() + right.bit_length())
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        _check_digits(left.bit_length() * right)
    elif operator == "%" and isinstance(left, str):
        _check_format(left, right)


def _check_method(method, args: tuple) -> None:
    """A text's own methods that make a text larger than they are given."""
    text, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    if not isinstance(text, (str, bytes)) or not args:
        return
    if name in ("center", "ljust", "rjust", "zfill") and isinstance(args[0], int):
        _check_size(args[0])
    elif name == "expandtabs" and isinstance(args[0], int):
        _check_size(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * args[0])
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], type(text)) and isinstance(args[1], type(text)):
        old, new = args[0], args[1]
        _check_size(len(text) + (text.count(old) if old else len(text) + 1) * max(len(new) - len(old), 0))
    elif name == "join" and isinstance(args[0], (list, tuple)):
        _check_size(len(text) * len(args[0]))


def _bounded(function, check):
    """A filter that first checks its arguments with ``check(*args)`` (and is passed the same
    context as ``function``: ``update_wrapper`` copies Jinja's mark of it)."""
    def filtered(*args, **kwargs):
        check(*args, **kwargs)
        return function(*args, **kwargs)

    return functools.update_wrapper(filtered, function)


def _bounded_filters(filters: dict) -> dict:
    """Jinja's filters, those that take a size from the template checked first."""
    def width(value, width=80, *rest, **kwargs):
        _check_size(len(width) if isinstance(width, str) else width if isinstance(width, int) else 0)

    def count(value, count=1, *rest, **kwargs):
        _check_size(count if isinstance(count, int) else 0)

    def replace(context, text, old="", new="", *rest, **kwargs):
        text, old, new = str(text), str(old), str(new)
        _check_size(len(text) + (text.count(old) if old else len(text) + 1) * max(len(new) - len(old), 0))

    def join(context, value, separator="", *rest, **kwargs):
        _check_size(len(str(separator)) * (len(value) if isinstance(value, (list, tuple)) else 1))

    def format_(value, *args, **kwargs):
        _check_format(str(value), args or tuple(kwargs.values()))

    checks = {"center": width, "indent": width, "batch": count, "slice": count, "replace": replace,
              "join": join, "format": format_}
    return {**filters, **{name: _bounded(filters[name], check) for name, check in checks.items()}}


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator with every loop paced and every concatenation sized."""

    def visit_For(self, node: nodes.For, frame) -> None:
        node.iter = nodes.Call(nodes.EnvironmentAttribute("paced"), [node.iter], [], None, None, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        self.write("environment.sized(")
        super().visit_Concat(node, frame)
        self.write(")")


class WorkspaceLoader(jinja2.FileSystemLoader):
    """Templates from the folders, nearest first, each a real file inside its folder: a link is
    refused, not followed; a template missing from one folder is looked for in the next."""

    def get_source(self, environment, template):
        pieces = split_template_path(template)  # refuses `..`
        for index, folder in enumerate(self.searchpath):
            path = Path(folder, *pieces)
            on_the_way = [Path(folder, *pieces[:i]) for i in range(len(pieces) + 1)]
            linked = next((p for p in on_the_way if p.is_symlink()), None)
            if linked is not None:
                raise jinja2.TemplateError(f"模板 {linked} 是符号链接：formgen 只读模板目录中真实的文件，请换成文件本身")
            try:
                status = path.stat()
            except OSError:
                continue  # not in this folder
            if not stat.S_ISREG(status.st_mode):
                raise jinja2.TemplateError(f"模板 {path} 不是普通文件")
            if status.st_size > MAX_TEMPLATE_BYTES:
                raise jinja2.TemplateError(f"模板 {path} 过大（{status.st_size:,} 字节），最多 {MAX_TEMPLATE_BYTES:,} 字节")
            try:
                source = path.read_text(encoding=self.encoding)
            except UnicodeDecodeError:
                raise jinja2.TemplateError(f"模板 {path} 不是 UTF-8 编码，请另存为 UTF-8") from None
            nearer = [Path(earlier, *pieces) for earlier in self.searchpath[:index]]
            return source, os.path.normpath(path), lambda: _unchanged(path, status.st_mtime_ns, nearer)
        raise jinja2.TemplateNotFound(template)


def _unchanged(path: Path, mtime: int, nearer: list[Path]) -> bool:
    """Whether a template read before is still the one to use (``watch`` keeps its templates): the
    same file, and none put since in a nearer folder."""
    try:
        return path.stat().st_mtime_ns == mtime and not path.is_symlink() and not any(
            p.exists() or p.is_symlink() for p in nearer)
    except OSError:
        return False


class Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the budget of this module."""

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, folders: list[str], **options):
        super().__init__(loader=WorkspaceLoader(folders), **options)
        self.filters = _bounded_filters(self.filters)
        self.paced, self.sized = paced, sized

    def wrap_str_format(self, value):
        """``str.format`` as the sandbox wraps it, its format specs checked first: ``{:>9999999}``."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None

        def checked(*args, **kwargs):
            _check_format_fields(value.__self__, args, kwargs)
            return wrapped(*args, **kwargs)

        return checked

    def call_binop(self, context, operator: str, left, right):
        _check_operation(operator, left, right)
        return sized(super().call_binop(context, operator, left, right))

    def call(self, context, obj, /, *args, **kwargs):
        _check_time()  # every call: macros that recurse without end
        if isinstance(obj, types.BuiltinMethodType):
            _check_method(obj, args)
        return super().call(context, obj, *args, **kwargs)
