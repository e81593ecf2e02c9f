"""Stage 4, workspace: folders of project files → outputs on disk, incrementally, with each unit's 汇总表.

``sources`` finds project files and fingerprints their inputs; ``build`` runs a
build (``check`` validates only); ``tasks`` is the work done in worker processes;
``compilation`` plans each 汇总表; ``state`` keeps the record of the last build;
``names`` says where outputs go; ``watch`` rebuilds on every save.
"""

from .build import Report, build, check

__all__ = ["Report", "build", "check"]
