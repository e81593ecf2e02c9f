"""The commands that are not a build: thin modules over the stages, one a command.

``new`` drafts a 自评表 from a 申报表; ``importing`` reads existing forms back into
project files; ``init`` starts a workspace and exports templates; ``schema`` is the
editors' JSON Schema. ``build``, ``check`` and ``watch`` are the workspace stage's own.
"""
