"""What a request may name: project files inside the workspace, and nothing else.

Every path a browser sends is a workspace-relative path with ``/`` between its
parts. It is refused unless it names a project file (``.yaml``/``.yml`` in any case, as the
build reads them, not a ``formgen.yaml``, not in a ``templates`` folder, not hidden) that lies inside the
workspace without passing through a link: ``..``, absolute paths, backslashes and
symbolic links never reach the file system.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import FormgenError
from ..load import SETTINGS_FILE
from ..workspace.names import PROJECT_SUFFIXES, TEMPLATES_FOLDER

ROOT_UNIT = ""  # projects lying directly in the workspace folder


class PathRefused(FormgenError):
    """A path no request may use."""


def project_path(root: Path, relative: str) -> Path:
    """The project file ``relative`` names under ``root``; it need not exist yet."""
    parts = _parts(relative)
    name = parts[-1]
    if (Path(name).suffix.lower() not in PROJECT_SUFFIXES or name.casefold() == SETTINGS_FILE
            or TEMPLATES_FOLDER in parts[:-1]):
        raise PathRefused(f"不是项目文件：{relative}")
    path = root
    for part in parts:
        path = path / part
        if path.is_symlink():
            raise PathRefused(f"不能打开链接：{relative}")
    if root.resolve() not in path.resolve().parents:
        raise PathRefused(f"路径不在工作区内：{relative}")
    return path


def unit_folder(root: Path, unit: str) -> Path:
    """The folder of a unit (a top-level folder of the workspace, or the workspace itself)."""
    if unit == ROOT_UNIT:
        return root
    parts = _parts(unit)
    folder = root / parts[0]
    if len(parts) != 1 or folder.is_symlink() or not folder.is_dir():
        raise PathRefused(f"没有这个单位目录：{unit}")
    return folder


def unit_of(relative: str) -> str:
    """The unit a workspace-relative path belongs to: its first folder."""
    parts = relative.split("/")
    return parts[0] if len(parts) > 1 else ROOT_UNIT


def through_link(root: Path, path: Path) -> bool:
    """Whether ``path`` is not plainly below ``root``: outside it, a link, or in a linked folder."""
    return root not in path.parents or any(p.is_symlink() for p in (path, *path.parents) if root in p.parents)


def relative_name(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


_MAX_PART_BYTES = 255  # what file systems allow a name
_MAX_PATH_CHARACTERS = 1000


def _parts(relative: str) -> tuple[str, ...]:
    if not relative or "\\" in relative or "\x00" in relative or relative.startswith("/"):
        raise PathRefused(f"路径无效：{relative[:100]!r}")
    if len(relative) > _MAX_PATH_CHARACTERS:
        raise PathRefused(f"路径过长（最多 {_MAX_PATH_CHARACTERS} 字）")
    parts = tuple(relative.split("/"))  # not PurePosixPath: it would quietly drop "." and empty parts
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        raise PathRefused(f"路径无效：{relative!r}")
    for part in parts:
        try:
            size = len(part.encode("utf-8"))
        except UnicodeEncodeError:
            raise PathRefused("路径含无效的字符") from None
        if size > _MAX_PART_BYTES:
            raise PathRefused(f"路径中的名称过长（最多 {_MAX_PART_BYTES} 字节，约 85 个汉字）：{part[:20]}…")
    return parts
