"""Where a build puts things: output file names, the build record, the cache.

Output names come from project names, made safe for every file system, so that
a unit's outputs read like its list of projects.
"""

from __future__ import annotations

import re

STATE_FILE = ".formgen-state.json"  # the record of the last build, in the output folder
CACHE_FOLDER = ".formgen-cache"  # title pages of the 汇总表 PDFs, by title and stylesheet
TEMPLATES_FOLDER = "templates"  # a workspace's own layout templates
_FORBIDDEN_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def output_file_stem(name: str) -> str:
    """A file name from a project name: no path separators or characters file systems refuse."""
    stem = _FORBIDDEN_IN_FILE_NAMES.sub("_", name).strip(" .")
    return stem or "未命名项目"


def form_file_stem(name: str, kind: str) -> str:
    """The output name of a form: ``课题研究`` for a 申报表, ``课题研究-自评表`` for the others,
    so that a project's declaration and its self-evaluation can share a folder."""
    stem = output_file_stem(name)
    return stem if kind == "申报表" else f"{stem}-{kind}"
