"""SpotCheck server. `create_app()` builds the Flask application (see server/app.py).

This module imports nothing beyond the standard library, so that standalone tools inside the
package — above all the draw verifier, `python -m server.draws.verify`, which must run with
nothing but Python installed — can be executed without Flask.
"""

from __future__ import annotations

from pathlib import Path

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(config=None):
    """Build the app: defaults → SPOTCHECK_* environment → `config` (see server.app)."""
    from server.app import create_app as build

    return build(config)
