"""The record of the last build, kept in the output folder, and the removal of stale outputs.

Per project file it holds the fingerprint and the forms it gave (name, kind, output
stem, files, warnings); per 汇总表 the same; and the content hash of every file
formgen wrote. A file whose fingerprint is unchanged and whose outputs all exist is
not even read by the next build. What the last build wrote and nothing claims any
more (a project deleted or renamed) is removed, but only a file inside the output
folder whose content is still what formgen wrote: a crafted or stale record never
deletes anything else, and an output a person has edited since is left alone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem
from ..files import display_path, write_text_atomically
from .names import STATE_FILE
from .sources import Source, formgen_version


@dataclass
class Form:
    """One project of the build: where it comes from, where it goes, and how it went."""

    source: Source
    index: int  # which document of its file
    name: str
    kind: str  # 申报表 | 自评表 | 目标表
    stem: Path  # output path without suffix
    warnings: list[Problem] = field(default_factory=list)
    loaded: object = None  # the LoadedProject; None when reused from the last build unread
    files: list[Path] = field(default_factory=list)

    @property
    def label(self) -> str:
        return display_path(self.stem)


@dataclass
class PendingCompilation:
    """A 汇总表 being written: its record is replaced only when every format is written."""

    formats_left: int
    fingerprint: str  # "" once one format failed: the next build tries again
    files: list[str] = field(default_factory=list)


class BuildRecord:
    """The last build's record, read at the start of a build, and this build's, saved at its end."""

    def __init__(self, data: dict, output: Path):
        self.output = output
        self.previous_sources: dict = data.get("sources", {})
        self.previous_compilations: dict = data.get("compilations", {})
        self.compilations: dict = {}  # this build's 汇总表 records, by stem
        self.pending: dict[str, PendingCompilation] = {}  # 汇总表 being written, by stem
        self.scope: list[Path] = []  # the paths this build was given: records outside them are kept
        self.discovered: set[str] = set()  # the project files this build found
        self.failing: set[str] = set()  # project files with a project that failed this build
        self.formats: tuple[str, ...] | None = None  # the formats asked for (-f), None: each unit's own

        self.previous_hashes: dict[str, str] = data.get("hashes", {})

    @classmethod
    def read(cls, output: Path) -> "BuildRecord":
        """The last build's record; an unreadable, foreign or malformed one counts as none."""
        try:
            data = json.loads((output / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # RecursionError: [[[[… nested past Python's stack
            data = {}
        return cls(data if _well_formed(data) else {}, output)

    def reuse(self, source: Source) -> list[Form] | None:
        """The forms of an unchanged file whose outputs all exist, without reading it; else None."""
        record = self.previous_sources.get(str(source.file))
        if not record or record["fingerprint"] != source.fingerprint:
            return None
        folder = self.output / source.file.parent.relative_to(source.root)
        forms = []
        for item in record["forms"]:
            files = [Path(f) for f in item["files"]]
            if Path(item["stem"]).parent != folder or not all(f.is_file() for f in files):
                return None
            warnings = [Problem(*w) for w in item["warnings"]]
            forms.append(Form(source, item["index"], item["name"], item["kind"], Path(item["stem"]), warnings,
                              None, files))
        return forms

    def in_scope(self, path: Path, folder: bool = False) -> bool:
        """Whether this build covers ``path``: a file at or under a path given, a 汇总表 folder under a folder given."""
        return any(path == given or given in path.parents for given in self.scope if given.is_dir() or not folder)

    def save(self, forms: list[Form], written: list[Path]) -> list[Path]:
        """Record this build's ``forms`` (built or unchanged) and the files it ``written``, and remove
        the outputs of the last build that nothing claims any more; the files removed."""
        sources: dict[str, dict] = {}
        for form in forms:
            record = sources.setdefault(str(form.source.file), {"fingerprint": form.source.fingerprint, "forms": []})
            files = [str(f) for f in form.files]
            record["forms"].append({
                "index": form.index, "name": form.name, "kind": form.kind, "stem": str(form.stem),
                "files": files + self._other_formats(str(form.source.file), str(form.stem), files),
                "warnings": [[w.file, w.line, w.field, w.message, w.level] for w in form.warnings]})
        for file, record in self.previous_sources.items():
            if not self.in_scope(Path(file)):
                sources[file] = record  # another build's business
            elif file in self.discovered and (file not in sources or file in self.failing):
                # Failing now, or not reached (Ctrl-C): keep its last good outputs, redo it next time.
                kept = sources.setdefault(file, {"forms": []})
                kept["fingerprint"] = ""
                kept["forms"] += [f for f in record["forms"] if f not in kept["forms"]]
        for stem, record in self.previous_compilations.items():
            folder = Path(record.get("folder", "/"))
            kept_for_failing = any(folder in Path(file).parents for file in self.failing)
            if stem not in self.compilations and (kept_for_failing or not self.in_scope(folder, folder=True)):
                self.compilations[stem] = record  # another build's, or its unit cannot be built now
        claimed = {f for r in sources.values() for item in r["forms"] for f in item["files"]}
        claimed |= {f for c in self.compilations.values() for f in c["files"]}
        previous = {f for r in self.previous_sources.values() for item in r["forms"] for f in item["files"]}
        previous |= {f for c in self.previous_compilations.values() for f in c["files"]}
        fresh = {str(path) for path in written}
        hashes = {f: _content_hash(Path(f)) if f in fresh else self.previous_hashes.get(f) for f in claimed}
        removed = [Path(stale) for stale in sorted(previous - claimed) if self._remove_if_ours(Path(stale))]
        data = {"version": formgen_version(), "sources": sources, "compilations": self.compilations,
                "hashes": {f: h for f, h in hashes.items() if h}}
        write_text_atomically(self.output / STATE_FILE, json.dumps(data, ensure_ascii=False, indent=1))
        return removed

    def _other_formats(self, source: str, stem: str, files: list[str]) -> list[str]:
        """The files the last build wrote for this form in formats this one was not asked for
        (``-f pdf`` after a full build): still the form's, never stale."""
        if self.formats is None:
            return []
        previous = self.previous_sources.get(source, {"forms": []})["forms"]
        return [f for item in previous if item["stem"] == stem for f in item["files"]
                if f not in files and Path(f).suffix[1:] not in self.formats and Path(f).is_file()]

    def _remove_if_ours(self, path: Path) -> bool:
        """Delete an output of the last build: only inside the output folder, only what it wrote."""
        output = self.output.resolve()
        try:
            inside = output in path.parent.resolve().parents or path.parent.resolve() == output
            if not inside or path.is_symlink() or not path.is_file():
                return False
            if self.previous_hashes.get(str(path)) != _content_hash(path):
                return False
            path.unlink()
            return True
        except OSError:
            return False


def _content_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _well_formed(data) -> bool:
    """Whether a record read from disk has the shape this version writes."""
    def texts(items) -> bool:
        return isinstance(items, list) and all(isinstance(item, str) for item in items)

    def form(item) -> bool:
        return (isinstance(item, dict) and isinstance(item.get("index"), int) and isinstance(item.get("name"), str)
                and isinstance(item.get("kind"), str) and isinstance(item.get("stem"), str) and texts(item.get("files"))
                and isinstance(item.get("warnings"), list)
                and all(isinstance(w, list) and len(w) == 5 for w in item["warnings"]))

    def source(record) -> bool:
        return (isinstance(record, dict) and isinstance(record.get("fingerprint"), str)
                and isinstance(record.get("forms"), list) and all(form(item) for item in record["forms"]))

    def compilation(record) -> bool:
        return isinstance(record, dict) and isinstance(record.get("fingerprint"), str) and texts(record.get("files"))

    if not isinstance(data, dict) or data.get("version") != formgen_version():
        return False
    sources, compilations, hashes = data.get("sources"), data.get("compilations"), data.get("hashes", {})
    return (isinstance(sources, dict) and all(source(r) for r in sources.values())
            and isinstance(compilations, dict) and all(compilation(r) for r in compilations.values())
            and isinstance(hashes, dict) and all(isinstance(h, str) for h in hashes.values()))
