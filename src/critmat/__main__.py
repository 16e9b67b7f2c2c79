"""``python -m critmat`` runs the command line."""

from critmat.cli import main

main()
