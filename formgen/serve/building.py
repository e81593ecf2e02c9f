"""Builds started from the browser: ``formgen build`` run as its own process.

A separate process keeps the server answering while forms are written, and runs
the very command a user would type, with its incremental build, its lock on the
output folder and its messages. Requests that come while a build runs are folded
into one more build after it.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class BuildResult:
    ok: bool
    text: str  # what formgen build printed


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

    async def _run(self) -> None:
        try:
            while True:
                self._again = False
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "formgen", "build", str(self.root), "-o", str(self.output), "-q",
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
                out, _ = await process.communicate()
                self.last = BuildResult(process.returncode == 0, out.decode("utf-8", "replace"))
                if not self._again:
                    break
        finally:
            self.running = False
