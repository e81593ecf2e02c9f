"""Builds started from the browser: ``formgen build`` run as its own process.

A separate process keeps the server answering while forms are written, and runs
the very command a user would type, with its incremental build, its lock on the
output folder and its messages. Requests that come while a build runs are folded
into one more build after it.

The build runs in the workspace folder, so its messages name files as the users know
them (``某局/课题研究.yaml:3: …``), and each user is shown only the lines about the
units they may open (``BuildResult.seen_by``).

Every request is numbered: a save learns the number of the build that will
include it, and the page waits for ``finished`` to reach it before it offers the
new forms. A request names the unit it changed, and a download of a unit waits
for the builds of that unit's changes only (and of changes to every unit): another
unit's large projects do not hold up a download of this one's forms, and the
numbers each user is shown are those of the requests about their units. While a
build runs, the lines ``formgen build`` prints (one a form) are its progress,
counted for each user in their own units.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .access import User
from .checking import without_server_paths
from .paths import ROOT_UNIT

_LEVELS = ("错误：", "警告：", "提示：")
_FORMS = ("已生成 ", "未生成 ")  # a form or 汇总表 written, labelled 单位/名称
_ROOT_FILE = re.compile(r"[^/]+\.ya?ml:")
_LONGEST_LINE = 1024 * 1024  # a message quoting a template's error can be long; more is read as failure


@dataclass
class BuildResult:
    ok: bool
    text: str  # what formgen build printed
    ended: datetime.datetime = field(default_factory=datetime.datetime.now)

    def seen_by(self, user: User, units: set[str]) -> BuildResult:
        """The lines of this build about the units ``user`` may open (``units``: the workspace's unit
        folders). A line that is about no unit (the output folder is locked, say) is said to
        everyone; the summary counts every unit's forms, so a user of some units gets their own."""
        if user.units is None:
            return self
        shown, mine_failed, server_failed, owner = [], False, False, None
        for line in self.text.splitlines():
            if line.startswith(_LEVELS):
                owner = _unit_of_message(line[3:], units)
                server_failed |= owner is None and line.startswith("错误：")
                mine_failed |= owner is not None and user.may_open(owner) and line.startswith("错误：")
            elif line.startswith(_FORMS):
                owner = line[4:].split("/", 1)[0] if "/" in line else ROOT_UNIT
            elif not line.startswith((" ", "\t")):  # the summary line, or a line we do not know
                owner = ROOT_UNIT
            # else: a message's next line belongs to the message
            if owner is None or user.may_open(owner):
                shown.append(line)
        ok = not mine_failed and not server_failed
        shown.append("完成。" if ok else "未全部完成：见上面的错误。")
        return BuildResult(ok, "\n".join(shown), self.ended)


def _unit_of_message(message: str, units: set[str]) -> str | None:
    """The unit a build message is about (ROOT_UNIT for a file at the workspace root), or None."""
    first = message.split("/", 1)[0]
    if "/" in message and first in units:
        return first
    if _ROOT_FILE.match(message):
        return ROOT_UNIT
    return None


class Builder:
    def __init__(self, root: Path, output: Path):
        self.root, self.output = root, output
        self.running = False
        self.last: BuildResult | None = None
        self.requested = 0  # requests so far: a save's build is the one numbered then
        self.finished = 0  # the last request the finished builds include
        self.lines: list[str] = []  # what the running build printed so far
        self._again = False
        self._asked: dict[str | None, int] = {}  # the last request about each unit (None: about every unit)
        self._task: asyncio.Task | None = None  # held: a task nothing refers to may be collected while it runs
        self._ended = asyncio.Condition()  # told each time a build ends

    def request(self, unit: str | None = None) -> int:
        """Build soon: now if no build runs, else once more when it ends. Returns the number of
        the request, which ``finished`` reaches when a build that includes it has ended. ``unit``:
        the unit folder changed (None: what may concern every unit, such as the workspace's settings)."""
        self.requested += 1
        self._asked[unit] = self.requested
        if self.running:
            self._again = True
            return self.requested
        self.running = True
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self.requested

    async def wait(self, unit: str | None = None) -> BuildResult | None:
        """Until the builds asked for so far have ended (downloads, tests and the build button's answer):
        with ``unit``, those of changes to that unit or to every unit (the workspace root's 汇总表
        compiles every unit: it waits for all). Not those asked for meanwhile: other users saving all
        the time do not hold a download up."""
        wanted = self.asked_about(None if unit in (None, ROOT_UNIT) else frozenset({unit}))
        async with self._ended:
            await self._ended.wait_for(lambda: self.finished >= wanted or not self.running)
        return self.last

    def asked_about(self, units: frozenset[str] | None) -> int:
        """The last request about any of ``units`` or about every unit (None: the last of all)."""
        if units is None:
            return self.requested
        return max((self._asked.get(unit, 0) for unit in (*units, None)), default=0)

    def done_for(self, user: User) -> int:
        """How many forms of ``user``'s units the running build has written so far."""
        seen = BuildResult(True, "\n".join(self.lines)).seen_by(user, self.units())
        return sum(1 for line in seen.text.splitlines() if line.startswith(_FORMS))

    def units(self) -> set[str]:
        """The workspace's unit folders, to tell whose a build message is."""
        return {p.name for p in self.root.iterdir() if p.is_dir() and not p.is_symlink()}

    async def _run(self) -> None:
        try:
            while True:
                self._again = False
                including = self.requested
                self.lines = []
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "formgen", "build", ".", "-o", os.path.relpath(self.output, self.root), "-q",
                    cwd=self.root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},  # each form's line as it is written
                    limit=_LONGEST_LINE)
                try:
                    async for line in process.stdout:
                        self.lines.append(without_server_paths(line.decode("utf-8", "replace").rstrip("\r\n"),
                                                              self.root, self.output))
                except BaseException:  # a line past the bound, or the server stopping: the build does not go on alone
                    if process.returncode is None:
                        process.kill()
                    raise
                await process.wait()
                self.last = BuildResult(process.returncode == 0, "\n".join(self.lines))
                self.finished = including
                await self._told()
                if not self._again:
                    break
        except Exception as error:  # the process could not run: say so rather than wait forever
            self.last = BuildResult(False, f"错误：无法运行 formgen build：{without_server_paths(str(error), self.root, self.output)}")
            raise
        finally:
            self.finished, self.running = self.requested, False
            await self._told()

    async def _told(self) -> None:
        async with self._ended:
            self._ended.notify_all()
