"""Problems found in a project file, and the one exception family formgen raises.

Every problem knows where it is: the file, the line and the field path, so that
the message a user reads points at the exact place to fix, in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass


LEVEL_NAMES = {"error": "错误", "warning": "警告", "note": "提示"}


@dataclass(frozen=True)
class Problem:
    """One finding about a project file: an error stops the form; a warning (likely a
    mistake) and a note (worth a look, such as a score formgen proposed) do not."""

    file: str
    line: int | None
    field: str
    message: str
    level: str = "error"  # error | warning | note

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class FormgenError(Exception):
    """Base of every error formgen reports to a user; the CLI catches it in one place."""

    exit_code = 1


class ProjectError(FormgenError):
    """A project file that cannot become a form; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
