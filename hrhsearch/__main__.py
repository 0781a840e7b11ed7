"""``python -m hrhsearch`` runs the command line."""

from .cli import main

main()
