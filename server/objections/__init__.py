"""Objections to published results (异议, Art. 26)."""
