"""Paths as a user reads them, files written whole or not at all, and the operating system's
refusals said in Chinese.

Every file formgen writes (forms, 汇总表, project files, the build record, cut
fonts) goes through :func:`write_atomically`: the content is written to a
temporary name beside the target and renamed into place, so a crash or Ctrl-C
never leaves a half-written file where the last good one was.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

# Temporary files are named ``.<name>.<pid>.tmp``: hidden, and recognisable as leftovers.
TEMPORARY_PATTERN = ".*.tmp"

# What the operating system says (in English: ``[Errno 17] File exists``), as a user reads it.
_OS_REASONS = {
    errno.ENOENT: "文件或目录不存在",
    errno.EEXIST: "已有同名的文件或目录",
    errno.EACCES: "没有权限，或文件正在其他程序（如 WPS、Excel、Word）中打开",
    errno.EPERM: "没有权限，或文件正在其他程序（如 WPS、Excel、Word）中打开",
    errno.EISDIR: "这是一个目录，不是文件",
    errno.ENOTDIR: "路径中有一部分是文件，不是目录",
    errno.ENOTEMPTY: "目录不是空的",
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "在只读的磁盘或目录上，不能写入",
    errno.ENAMETOOLONG: "文件名或路径过长",
    errno.EINVAL: "文件名无效",
    errno.ELOOP: "符号链接太多或成环",
    errno.EBUSY: "文件或目录正被占用",
    errno.EIO: "读写出错（磁盘或网络驱动器故障）",
    errno.EMFILE: "同时打开的文件过多",
    errno.ENXIO: "不是普通文件",
    errno.EXDEV: "不能跨磁盘移动",
}


def os_reason(error: OSError) -> str:
    """Why the operating system refused, in Chinese (``[Errno 17] File exists`` → 已有同名的文件或目录)."""
    return _OS_REASONS.get(error.errno) or f"操作系统报错（{error.strerror or error}）"


def os_error_text(error: OSError) -> str:
    """An ``OSError`` as a user reads it: the reason in Chinese, then the path it is about."""
    reason = os_reason(error)
    return f"{reason}：{display_path(Path(error.filename))}" if error.filename else reason


def display_path(path: Path) -> str:
    """A path as the user should read it: relative to the current folder when inside it, else
    absolute (``/proc/x.yaml``, not ``../../../proc/x.yaml``)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return os.path.abspath(path) if relative == os.pardir or relative.startswith(os.pardir + os.sep) else relative


def write_atomically(target: Path, write) -> None:
    """Call ``write(path)`` on a temporary file beside ``target``, then rename it into place.
    An ``OSError`` names ``target``, not the temporary file the user never sees."""
    target = Path(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(temporary)
        os.replace(temporary, target)
    except OSError as error:
        if error.filename in (str(temporary), temporary):
            error.filename, error.filename2 = str(target), None
        raise
    finally:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:  # its folder could not be made: there is nothing to remove
            pass


def write_text_atomically(target: Path, text: str) -> None:
    write_atomically(target, lambda path: path.write_text(text, encoding="utf-8"))
