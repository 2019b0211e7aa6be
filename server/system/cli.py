"""Commands of the whole system (not of one domain): the demo data."""

from __future__ import annotations

from server.seed.cli import seed_demo

commands = [seed_demo]
