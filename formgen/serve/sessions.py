"""Sessions: who a browser is signed in as, kept by the server.

A session cookie holds only a random id; the server keeps the session itself (its
user, the password it was opened under, its CSRF token, when it ends). Logging out
ends it at once, and so do a changed password and the user's removal from the users
file: a copied cookie is then worth nothing.

The sessions, and the secret that signs the CSRF tokens of visitors not signed in,
are kept in a file beside the users file (``用户.yaml.sessions``: readable by its owner
only, the session ids stored as hashes), so that a restart signs nobody out.
Deleting the file signs everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import FormgenError
from ..files import display_path
from .access import User, os_reason

LIFETIME = 12 * 3600  # seconds a session lasts after its login
PER_USER = 20  # a user's newest sessions; an older one ends when a newer one opens
_LOG = logging.getLogger("formgen.serve")


@dataclass
class Session:
    user: str
    stamp: str  # the password it was opened under (``User.stamp``)
    csrf: str
    ends: float  # time.time()


def sessions_file(users_file: Path) -> Path:
    return users_file.with_name(users_file.name + ".sessions")


class Sessions:
    """The signed-in sessions, and the secret of the anonymous CSRF tokens; kept in ``file`` when
    given (else in memory: a restart then signs everyone out)."""

    def __init__(self, file: Path | None = None):
        self.file = file
        self.secret = secrets.token_bytes(32)
        self._sessions: dict[str, Session] = {}  # by the hash of the id
        self._lock = threading.Lock()  # pages are also rendered in worker threads
        if file is not None:
            self._load()
            self._save(strict=True)

    def open(self, user: User) -> str:
        """A new session for ``user``; returns the id its cookie holds."""
        now = time.time()
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions = {key: s for key, s in self._sessions.items() if s.ends > now}
            mine = sorted((s.ends, key) for key, s in self._sessions.items() if s.user == user.name)
            for _, key in mine[:max(0, len(mine) - PER_USER + 1)]:
                del self._sessions[key]
            self._sessions[self._key(session_id)] = Session(user.name, user.stamp, secrets.token_urlsafe(32), now + LIFETIME)
            self._save()
        return session_id

    def find(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._sessions.get(self._key(session_id))
        if session is not None and session.ends <= time.time():
            self.close(session_id)
            return None
        return session

    def close(self, session_id: str | None) -> None:
        if not session_id:
            return
        with self._lock:
            if self._sessions.pop(self._key(session_id), None) is not None:
                self._save()

    def sign(self, token: str) -> str:
        """A token as a cookie holds it, signed so that only this server could have set it."""
        return f"{token}.{self._mac(token)}"

    def signed(self, value: str | None) -> str | None:
        """The token of a cookie ``sign`` made, or None."""
        token, _, mac = (value or "").rpartition(".")
        return token if token and hmac.compare_digest(mac, self._mac(token)) else None

    def _mac(self, token: str) -> str:
        return hmac.new(self.secret, token.encode(), hashlib.sha256).hexdigest()[:32]

    def _key(self, session_id: str) -> str:
        return hmac.new(self.secret, session_id.encode(), hashlib.sha256).hexdigest()

    def _load(self) -> None:
        try:
            info = os.lstat(self.file)
        except FileNotFoundError:
            return
        except OSError as error:
            raise FormgenError(f"无法读取会话文件 {display_path(self.file)}：{os_reason(error)}") from None
        if not stat.S_ISREG(info.st_mode):
            raise FormgenError(f"会话文件 {display_path(self.file)} 应为普通文件（不能是链接或目录）")
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            secret = bytes.fromhex(data["secret"])
            sessions = {key: Session(**value) for key, value in data["sessions"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            _LOG.warning("会话文件 %s 读不出，已重新生成：所有用户需重新登录", display_path(self.file))
            return
        if len(secret) >= 32:
            self.secret, self._sessions = secret, sessions

    def _save(self, strict: bool = False) -> None:
        """Write the file whole, readable by its owner only (called holding the lock, or at start). A
        failure later than at start keeps the sessions in memory and says so in the log."""
        if self.file is None:
            return
        data = {"secret": self.secret.hex(), "sessions": {key: asdict(s) for key, s in self._sessions.items()}}
        temporary = self.file.with_name(f".{self.file.name}.{os.getpid()}.tmp")
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(temporary, self.file)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            if strict:
                raise FormgenError(f"无法写入会话文件 {display_path(self.file)}（与用户文件同目录）：{os_reason(error)}") from None
            _LOG.warning("无法写入会话文件 %s：%s", display_path(self.file), os_reason(error))
