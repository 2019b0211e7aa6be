"""Load test of sync v1 through gunicorn, PostgreSQL and S3, with faults (see README.md)."""
