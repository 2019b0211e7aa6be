"""Visits: one trip to one subject's premises, carrying one or more tasks' checks (Art. 15)."""
