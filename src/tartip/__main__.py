"""``python -m tartip`` runs the command line."""

from tartip.cli import app

app()
