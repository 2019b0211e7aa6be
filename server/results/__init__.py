"""Inspection results: entry per visit and item, review, task completion and publication deadlines."""
