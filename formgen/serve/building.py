"""Builds started from the browser: ``formgen build`` run as its own process.

A separate process keeps the server answering while forms are written, and runs
the very command a user would type, with its incremental build, its lock on the
output folder and its messages. Requests that come while a build runs are folded
into one more build after it.

The build runs in the workspace folder, so its messages name files as the users know
them (``某局/课题研究.yaml:3: …``), and each user is shown only the lines about the
units they may open (``BuildResult.seen_by``).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .access import User
from .checking import without_server_paths
from .paths import ROOT_UNIT

_LEVELS = ("错误：", "警告：", "提示：")
_FORMS = ("已生成 ", "未生成 ")  # a form or 汇总表 written, labelled 单位/名称
_ROOT_FILE = re.compile(r"[^/]+\.ya?ml:")


@dataclass
class BuildResult:
    ok: bool
    text: str  # what formgen build printed

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
        return BuildResult(ok, "\n".join(shown))


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
        self._again = False
        self._task: asyncio.Task | None = None

    def request(self) -> None:
        """Build soon: now if no build runs, else once more when it ends."""
        if self.running:
            self._again = True
            return
        self.running = True
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def wait(self) -> BuildResult | None:
        """Until no build runs (tests and the build button's answer)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        return self.last

    def units(self) -> set[str]:
        """The workspace's unit folders, to tell whose a build message is."""
        return {p.name for p in self.root.iterdir() if p.is_dir() and not p.is_symlink()}

    async def _run(self) -> None:
        try:
            while True:
                self._again = False
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "formgen", "build", ".", "-o", os.path.relpath(self.output, self.root), "-q",
                    cwd=self.root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
                out, _ = await process.communicate()
                self.last = BuildResult(process.returncode == 0,
                                        without_server_paths(out.decode("utf-8", "replace"), self.root))
                if not self._again:
                    break
        finally:
            self.running = False
