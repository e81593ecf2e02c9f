"""Stage 2, layout: a typed project → the Sheet, the one description of a form every writer translates.

``sheet`` defines the Sheet (and the 汇总表's Compilation); ``layouts`` renders a
project through its Jinja2 template; ``html`` reads that HTML into a Sheet.
"""

from .html import TemplateError, parse_sheet
from .layouts import BUILTIN_TEMPLATES, Layouts
from .sheet import Cell, Compilation, Heading, Member, Sheet

__all__ = ["TemplateError", "parse_sheet", "BUILTIN_TEMPLATES", "Layouts", "Cell", "Compilation", "Heading",
           "Member", "Sheet"]
