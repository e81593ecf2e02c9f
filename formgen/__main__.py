"""``python -m formgen``: the command line."""

from .cli import main

main()
