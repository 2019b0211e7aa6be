"""The sync engine of the field app (sync v1, /work/shared/protocols/sync-v1.md).

No Flask here: functions take a SQLAlchemy Session and their collaborators (storage, clock) as
arguments, so the protocol can be tested and benchmarked without a web server. `integrity`
defines the record hash and the device signature the server verifies on `record.submit`.
"""
