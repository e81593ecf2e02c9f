"""Who may use the server, and which units each may see and edit.

On loopback one person uses the server on their own machine and no login is
asked (unless a users file is given). On any other address a users file is
required: a YAML file of users, each with a password hash (Argon2, never the
password itself) and the unit folders the user may open::

    用户:
      张三:
        密码哈希: $argon2id$v=19$m=65536,t=3,p=4$…
        单位: [上海市某某局-2024]      # 或 全部

``formgen user add`` writes it, and writes nothing else: a new file, or one that is
already a users file. The server reads the file again when it changes, so a user
added or a password changed takes effect without a restart (and a changed password
ends that user's sessions: ``sessions``).

Failed logins are slowed down (``Throttle``): each answers a second late, and after a
few in a row the name, or after more the address, is refused for a while that
doubles with each further failure. Attempts of one name are checked one at a time
(of one address, a few at a time), and each counts as failed from the moment it is
let through, before its password is checked: parallel guesses cannot all be checked,
and right passwords sent at once all get in.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import logging
import os
import secrets
import time
import unicodedata
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import FormgenError
from ..files import display_path, write_text_atomically
from ..load import SETTINGS_FILE

ALL_UNITS = "全部"
USERS_KEY = "用户"
MAX_NAME_CHARACTERS = 32
_MAX_USERS_FILE_BYTES = 1_000_000  # thousands of users; anything larger is not a users file
_HASHER = PasswordHasher()
_LOG = logging.getLogger("formgen.serve")
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # control, format (bidi), unpaired, unassigned, line breaks


@dataclass(frozen=True)
class User:
    name: str
    password_hash: str
    units: frozenset[str] | None  # None: every unit

    def may_open(self, unit: str) -> bool:
        return self.units is None or unit in self.units

    @property
    def stamp(self) -> str:
        """Names this password: a session made under another one has ended."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def folders(self, root: Path) -> tuple[Path, ...]:
        """The folders this user may read: the workspace, or their unit folders."""
        return (root,) if self.units is None else tuple(root / unit for unit in sorted(self.units))


LOCAL_USER = User("本机用户", "", None)  # loopback without a users file: the machine's own user


class UsersFileError(FormgenError):
    pass


_OS_REASONS = {errno.ENOENT: "文件不存在", errno.EACCES: "没有权限", errno.EPERM: "没有权限", errno.ENOSPC: "磁盘已满",
               errno.EROFS: "文件系统只读", errno.EISDIR: "这是目录", errno.ENAMETOOLONG: "名称过长"}


def os_reason(error: OSError) -> str:
    """An operating system's refusal in Chinese (its own words are English)."""
    return _OS_REASONS.get(error.errno, f"系统错误 {error.errno}")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a user name, or None. An empty name would be every visitor's."""
    if not name.strip():
        return "用户名不能为空"
    if name != name.strip():
        return "用户名的首尾不能有空格"
    if len(name) > MAX_NAME_CHARACTERS:
        return f"用户名最多 {MAX_NAME_CHARACTERS} 个字，现为 {len(name)} 个"
    if any(unicodedata.category(c) in _INVISIBLE for c in name):
        return "用户名不能含控制字符、换行或不可见的字符"
    return None


def unit_problem(unit: str) -> str | None:
    """Why ``unit`` cannot name a unit folder (a folder directly in the workspace), or None."""
    if not unit or unit in (".", "..") or any(c in unit for c in "/\\\x00") or unit.startswith("."):
        return f"单位目录应为工作区中一个目录的名字，如 上海市某某局-2024，实际为 {unit!r}"
    return None


def read_users(path: Path) -> dict[str, User]:
    """The users of a users file; a file that cannot be read is an error saying where."""
    data = _users_data(path)
    if data is None:
        raise UsersFileError(f"用户文件 {display_path(path)} 是空的（用 formgen user add 添加用户）")
    users = {}
    for name, entry in (data.get(USERS_KEY) or {}).items():
        where = f"用户文件 {display_path(path)} 中的用户 {name!r}"
        problem = name_problem(name) if isinstance(name, str) else "用户名应为文字"
        if problem:
            raise UsersFileError(f"{where}：{problem}")
        if not isinstance(entry, dict) or not isinstance(entry.get("密码哈希"), str):
            raise UsersFileError(f"{where} 缺少 密码哈希（用 formgen user add 设置密码）")
        units = entry.get("单位")
        if units == ALL_UNITS:
            allowed = None
        elif isinstance(units, list) and all(isinstance(u, str) and not unit_problem(u) for u in units):
            allowed = frozenset(units)
        else:
            raise UsersFileError(f"{where} 的 单位 应为单位目录名的列表，或 {ALL_UNITS}")
        users[name] = User(name, entry["密码哈希"], allowed)
    if not users:
        raise UsersFileError(f"用户文件 {display_path(path)} 中没有用户（用 formgen user add 添加用户）")
    return users


def _users_data(path: Path, missing_ok: bool = False):
    """The mapping of a users file as the round-trip YAML library reads it (None: an empty file, or
    a missing one if ``missing_ok``). Anything else is refused: ``user add`` must never replace a
    file that is not a users file."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    shown = display_path(path)
    if path.name == SETTINGS_FILE:
        raise UsersFileError(f"{shown} 是单位的设置文件，不能作用户文件：请另选文件名，如 用户.yaml")
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise UsersFileError(f"用户文件应为 .yaml 文件（如 用户.yaml），不是 {shown}")
    if missing_ok and not path.exists() and not path.is_symlink():
        return None
    try:
        if path.stat().st_size > _MAX_USERS_FILE_BYTES:
            raise UsersFileError(f"{shown} 不是用户文件（过大）：请另选文件名")
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsersFileError(f"{shown} 不是用户文件（不是 UTF-8 文本）：请另选文件名") from None
    except IsADirectoryError:
        raise UsersFileError(f"{shown} 是目录，不是用户文件") from None
    except OSError as error:
        raise UsersFileError(f"无法读取用户文件 {shown}：{os_reason(error)}") from None
    try:
        data = YAML().load(text)
    except (YAMLError, ValueError, RecursionError) as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第 {mark.line + 1} 行有 YAML 错误" if mark is not None else "不是有效的 YAML"
        raise UsersFileError(f"{shown} {where}，不是可用的用户文件：请改正它，或另选文件名") from None
    if data is None:
        return None
    if not isinstance(data, dict) or set(data) != {USERS_KEY} or not isinstance(data[USERS_KEY], (dict, type(None))):
        raise UsersFileError(f"{shown} 不是用户文件（用户文件只有一个 {USERS_KEY}: 映射）：请另选文件名")
    return data


def check_users_file(path: Path) -> None:
    """Raises UsersFileError unless ``path`` is a new .yaml file, an empty one, or a users file: the
    files ``add_user`` may write."""
    _users_data(path, missing_ok=True)


def add_user(path: Path, name: str, password: str, units: list[str]) -> None:
    """Add or replace a user in a users file (created when missing), the password hashed."""
    problem = name_problem(name) or next(filter(None, map(unit_problem, units)), None)
    if problem:
        raise UsersFileError(problem)
    from ruamel.yaml import YAML  # round trip: the file's comments stay

    data = _users_data(path, missing_ok=True)
    if data is None:
        data = {USERS_KEY: {}}
        header = "# formgen serve 的用户：密码只保存哈希；单位 为可查看和编辑的单位目录，或 全部。\n"
    else:
        header = ""
    if data[USERS_KEY] is None:
        data[USERS_KEY] = {}
    data[USERS_KEY][name] = {"密码哈希": _HASHER.hash(password), "单位": ALL_UNITS if not units else list(units)}
    out = io.StringIO()
    yaml = YAML()
    yaml.width = 4096  # a hash on one line
    yaml.dump(data, out)
    write_text_atomically(path, header + out.getvalue())


def password_matches(user: User, password: str) -> bool:
    try:
        return _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _HASHER.hash(secrets.token_hex(8))


def verify_unknown(password: str) -> None:
    """Spend the time a real check takes, so that unknown names cannot be told from wrong passwords."""
    try:
        _HASHER.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


class Accounts:
    """The users the server knows: a users file, read again whenever it changes (a broken edit
    keeps the users read last, and says so in the server's log); or a fixed set of users."""

    def __init__(self, source: Path | dict[str, User]):
        self.file = source if isinstance(source, Path) else None
        self._users = read_users(source) if self.file else dict(source)
        self._seen = self._stat()

    def users(self) -> dict[str, User]:
        if self.file is not None:
            seen = self._stat()
            if seen != self._seen:
                self._seen = seen
                try:
                    self._users = read_users(self.file)
                except UsersFileError as error:
                    _LOG.warning("用户文件改动后读不出，仍用上次的用户：%s", error)
        return self._users

    def _stat(self):
        if self.file is None:
            return None
        try:
            stat = os.stat(self.file)
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size, stat.st_ino


@dataclass
class _Count:
    failures: int = 0
    until: float = 0.0  # refused before this time (monotonic)


@dataclass
class Throttle:
    """Failed logins by user name and by address: ``free`` failures in a row of a name (``free_per_address``
    of an address: an office may share one) cost only ``delay``; the next one refuses the key for
    ``base`` seconds, each further failure doubling that, at most ``longest``."""

    free: int = 3
    free_per_address: int = 20
    base: float = 5.0
    longest: float = 900.0
    delay: float = 1.0  # every failure answers this much later
    at_once_per_address: int = 4  # attempts of one address checked at once; a name's, one at a time
    _counts: dict[str, _Count] = field(default_factory=dict)
    _turns: dict[str, list] = field(default_factory=dict)  # key → [semaphore, attempts holding or awaiting it]

    @asynccontextmanager
    async def turn(self, name: str, address: str):
        """Wait until this attempt's name (and, a few at a time, its address) has no other attempt being
        checked: parallel attempts are counted one after the other, so that right passwords sent at
        once (an office signing in at nine) all get in, and parallel guesses stop at the lock."""
        name_key, address_key = self._keys(name, address)
        async with self._turn(name_key, 1), self._turn(address_key, self.at_once_per_address):
            yield

    @asynccontextmanager
    async def _turn(self, key: str, at_once: int):
        turn = self._turns.setdefault(key, [asyncio.Semaphore(at_once), 0])
        turn[1] += 1
        try:
            async with turn[0]:
                yield
        finally:
            turn[1] -= 1
            if not turn[1]:
                del self._turns[key]

    def attempt(self, name: str, address: str) -> float:
        """Let an attempt through (0), counted as failed until ``succeeded``; or the seconds to wait.
        Called on the event loop, it is one step: no other attempt runs between the check and the count."""
        now = time.monotonic()
        keys = self._keys(name, address)
        wait = max(self._counts[key].until - now if key in self._counts else 0.0 for key in keys)
        if wait > 0:
            return wait
        if len(self._counts) > 10_000:  # made-up names must not grow this without end
            self._counts = {k: c for k, c in self._counts.items() if c.until > now or c.failures}
        for key, free in keys.items():
            count = self._counts.setdefault(key, _Count())
            count.failures += 1
            extra = count.failures - free
            count.until = now + min(self.base * 2 ** (extra - 1), self.longest) if extra > 0 else 0.0
        return 0.0

    def succeeded(self, name: str, address: str) -> None:
        """The attempt was right: the name starts afresh, and the address is not charged for it."""
        keys = list(self._keys(name, address))
        self._counts.pop(keys[0], None)
        count = self._counts.get(keys[1])
        if count is not None:
            count.failures = max(0, count.failures - 1)
            if count.failures <= self.free_per_address:
                count.until = 0.0

    def _keys(self, name: str, address: str) -> dict[str, int]:
        """The keys of an attempt, each with its number of free failures."""
        return {f"user:{name}": self.free, f"address:{address}": self.free_per_address}
