"""CLI commands for the flows topic (registered by critmat.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this topic's commands to the root app."""
