"""`python -m agents.cli`: the same as the `sigap` command."""

from . import main

main()
