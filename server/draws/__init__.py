"""Draws: the verifiable double-random draw (DSR-v1, ../shared/protocols/draw-dsr-v1.md).

This package file stays import-free: `server.draws.dsr` and `server.draws.verify` must run with
nothing but the Python standard library.
"""
