"""Inspection results: entry per visit and item, review, completion and publication deadlines."""
