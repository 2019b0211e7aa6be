"""Code tables (result, method, follow-up …) with a column for the national GS52 code."""
