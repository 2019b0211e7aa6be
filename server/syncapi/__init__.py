"""Sync v1 endpoints of the field app (bearer-token devices): the pull of the change feed."""
