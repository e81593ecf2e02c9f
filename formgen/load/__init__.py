"""Stage 1, load: project files → validated, typed projects with every field's file and line.

``yamlread`` keeps each scalar as the text written and its line; ``settings`` merges
the ``formgen.yaml`` chain; ``model`` (with ``fields``) types a project; ``rules``
checks what needs the whole form; ``project`` ties them together.
"""

from .project import LoadedProject, load_document, load_file
from .settings import SETTINGS_FILE, Settings, read_settings

__all__ = ["LoadedProject", "load_document", "load_file", "SETTINGS_FILE", "Settings", "read_settings"]
