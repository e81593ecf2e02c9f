"""Who may use the server, and which units each may see and edit.

On loopback one person uses the server on their own machine and no login is
asked (unless a users file is given). On any other address a users file is
required: a YAML file of users, each with a password hash (Argon2, never the
password itself) and the unit folders the user may open::

    用户:
      张三:
        密码哈希: $argon2id$v=19$m=65536,t=3,p=4$…
        单位: [上海市某某局-2024]      # 或 全部
      
``formgen user add`` writes it. Failed logins are slowed down: each costs a
second, and after a few in a row the name and the address are refused for a
while that doubles with each further failure.
"""

from __future__ import annotations

import io
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import FormgenError
from ..files import display_path, write_text_atomically

ALL_UNITS = "全部"
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class User:
    name: str
    password_hash: str
    units: frozenset[str] | None  # None: every unit

    def may_open(self, unit: str) -> bool:
        return self.units is None or unit in self.units


LOCAL_USER = User("本机用户", "", None)  # loopback without a users file: the machine's own user


class UsersFileError(FormgenError):
    pass


def read_users(path: Path) -> dict[str, User]:
    """The users of a users file; a file that cannot be read is an error saying where."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise UsersFileError(f"无法读取用户文件 {display_path(path)}：{error.strerror}") from None
    except yaml.YAMLError as error:
        raise UsersFileError(f"用户文件 {display_path(path)} 不是有效的 YAML：{error}") from None
    entries = data.get("用户") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise UsersFileError(f"用户文件 {display_path(path)} 应有 用户: 映射（用 formgen user add 添加用户）")
    users = {}
    for name, entry in entries.items():
        where = f"用户文件 {display_path(path)} 中的用户 {name}"
        if not isinstance(entry, dict) or not isinstance(entry.get("密码哈希"), str):
            raise UsersFileError(f"{where} 缺少 密码哈希（用 formgen user add 设置密码）")
        units = entry.get("单位")
        if units == ALL_UNITS:
            allowed = None
        elif isinstance(units, list) and all(isinstance(u, str) for u in units):
            allowed = frozenset(units)
        else:
            raise UsersFileError(f"{where} 的 单位 应为单位目录名的列表，或 {ALL_UNITS}")
        users[str(name)] = User(str(name), entry["密码哈希"], allowed)
    return users


def add_user(path: Path, name: str, password: str, units: list[str]) -> None:
    """Add or replace a user in a users file (created when missing), the password hashed."""
    from ruamel.yaml import YAML  # round trip: the file's comments stay

    round_trip = YAML()
    data = round_trip.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if not isinstance(data, dict):
        data = {"用户": {}}
        header = "# formgen serve 的用户：密码只保存哈希；单位 为可查看和编辑的单位目录，或 全部。\n"
    else:
        header = ""
    data.setdefault("用户", {})
    data["用户"][name] = {"密码哈希": _HASHER.hash(password), "单位": ALL_UNITS if not units else list(units)}
    out = io.StringIO()
    round_trip.dump(data, out)
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


@dataclass
class Throttle:
    """Failed logins by key (a user name, an address): after ``free`` failures in a row a key is
    refused for ``base`` seconds, doubling with each further failure, at most ``longest``."""

    free: int = 3
    base: float = 5.0
    longest: float = 900.0
    delay: float = 1.0  # every failure answers this much later
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)

    def wait(self, *keys: str) -> float:
        """Seconds before these keys may try again (0: now)."""
        now = time.monotonic()
        return max((until - now for count, until in (self._failures.get(k, (0, 0.0)) for k in keys)), default=0.0)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        if len(self._failures) > 10_000:  # made-up names must not grow this without end
            self._failures = {k: v for k, v in self._failures.items() if v[1] > now}
        for key in keys:
            count = self._failures.get(key, (0, 0.0))[0] + 1
            extra = count - self.free
            until = now + min(self.base * 2 ** (extra - 1), self.longest) if extra > 0 else 0.0
            self._failures[key] = (count, until)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
