"""Builds started from the browser: ``formgen build`` run as its own process.

A separate process keeps the server answering while forms are written, and runs
the very command a user would type, with its incremental build, its lock on the
output folder and its messages. Requests that come while a build runs are folded
into one more build after it.

Every request is numbered: a save learns the number of the build that will
include it, and the page waits for ``finished`` to reach it before it offers the
new forms. While a build runs, the lines ``formgen build`` prints (one a form)
are its progress.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class BuildResult:
    ok: bool
    text: str  # what formgen build printed
    ended: datetime.datetime = field(default_factory=datetime.datetime.now)


class Builder:
    def __init__(self, root: Path, output: Path):
        self.root, self.output = root, output
        self.running = False
        self.last: BuildResult | None = None
        self.requested = 0  # requests so far: a save's build is the one numbered then
        self.finished = 0  # the last request the finished builds include
        self.lines: list[str] = []  # what the running build printed so far
        self._again = False
        self._task: asyncio.Task | None = None

    def request(self) -> int:
        """Build soon: now if no build runs, else once more when it ends. Returns the number of
        the request, which ``finished`` reaches when a build that includes it has ended."""
        self.requested += 1
        if self.running:
            self._again = True
            return self.requested
        self.running = True
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self.requested

    async def wait(self) -> BuildResult | None:
        """Until no build runs (downloads, tests and the build button's answer)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        return self.last

    async def _run(self) -> None:
        try:
            while True:
                self._again = False
                including = self.requested
                self.lines = []
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "formgen", "build", str(self.root), "-o", str(self.output), "-q",
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"})  # each form's line as it is written
                async for line in process.stdout:
                    self.lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
                await process.wait()
                self.last = BuildResult(process.returncode == 0, "\n".join(self.lines))
                self.finished = including
                if not self._again:
                    break
        except Exception as error:  # the process could not run: say so rather than wait forever
            self.last = BuildResult(False, f"无法运行 formgen build：{error}")
            raise
        finally:
            self.finished, self.running = self.requested, False
