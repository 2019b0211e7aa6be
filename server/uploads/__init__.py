"""Evidence uploads over tus 1.0 (sync v1 "Uploads"); the protocol lives in sync/uploads.py."""
