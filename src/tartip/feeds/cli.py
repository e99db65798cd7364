"""``tartip feeds``: check and register sharing companies' feeds."""

from __future__ import annotations

import typer

app = typer.Typer(help="Sharing companies' feeds.", no_args_is_help=True)
