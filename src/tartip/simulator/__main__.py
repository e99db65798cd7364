"""``python -m tartip.simulator`` runs the simulator's command line."""

from tartip.simulator.cli import app

app()
