"""Fixtures of the calendar tests."""

from __future__ import annotations
