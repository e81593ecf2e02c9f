"""Where a build puts things: output file names, the build record, the cache.

Output names come from project names, made safe for every file system, so that
a unit's outputs read like its list of projects.
"""

from __future__ import annotations

import re
import unicodedata

from ..load.fields import INVISIBLE_CATEGORIES

STATE_FILE = ".formgen-state.json"  # the record of the last build, in the output folder
CACHE_FOLDER = ".formgen-cache"  # title pages of the 汇总表 PDFs, by title and stylesheet
TEMPLATES_FOLDER = "templates"  # a workspace's own layout templates
PROJECT_SUFFIXES = (".yaml", ".yml")  # in any case: Windows users save 课题.YAML too
_FORBIDDEN_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
# Names Windows reserves for devices, whatever the extension and spaces before it: `CON.docx` and
# `aux .x` cannot be created there (Microsoft's list, superscript digits and console names included).
_RESERVED_ON_WINDOWS = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                        *(f"{port}{digit}" for port in ("COM", "LPT") for digit in "0123456789¹²³")}
# A project file of this name would be read as its folder's settings (formgen.yaml).
_RESERVED_BY_FORMGEN = "formgen"
# File names are at most 255 bytes, and a CJK character is 3 of them in UTF-8: 60 characters leave
# room for "-自评表.docx" and the temporary name a file is written under.
MAX_STEM_CHARACTERS = 60


def output_file_stem(name: str) -> str:
    """A file name from a project name: no path separators or characters file systems refuse, no
    invisible formatting (a right-to-left override makes ``…gnp.exe.xlsx`` read as ``…xlsx.exe.png``),
    no name Windows or formgen reserves, at most ``MAX_STEM_CHARACTERS`` characters."""
    visible = "".join(ch for ch in name if unicodedata.category(ch) not in INVISIBLE_CATEGORIES)
    stem = _FORBIDDEN_IN_FILE_NAMES.sub("_", visible).strip(" .")[:MAX_STEM_CHARACTERS].strip(" .")
    if stem.split(".")[0].rstrip(" ").upper() in _RESERVED_ON_WINDOWS or stem.casefold() == _RESERVED_BY_FORMGEN:
        stem = f"_{stem}"
    return stem or "未命名项目"


def form_file_stem(name: str, kind: str) -> str:
    """The output name of a form: ``课题研究`` for a 申报表, ``课题研究-自评表`` for the others,
    so that a project's declaration and its self-evaluation can share a folder."""
    stem = output_file_stem(name)
    return stem if kind == "申报表" else f"{stem}-{kind}"


def same_file_key(stem) -> str:
    """What two output stems share when they name the same files: Windows and macOS do not tell
    课题A from 课题a. A 汇总表 whose stem has a form's key would overwrite that form."""
    return str(stem).casefold()
