"""Copy the evidence bucket to a folder and back, for deploy/backup.sh and deploy/restore.sh.

    python deploy/s3_evidence.py download DIR   # every object → DIR/<key>
    python deploy/s3_evidence.py upload DIR     # every file under DIR → the bucket, key = path

Reads the app's own settings (SPOTCHECK_S3_ENDPOINT_URL, _BUCKET, _REGION, _ACCESS_KEY_ID,
_SECRET_ACCESS_KEY), so the backup needs nothing the server does not already have: boto3 is a
dependency of the app, the aws CLI is not (with it, `aws s3 sync s3://BUCKET DIR
--endpoint-url …` does the same). Keys are the app's server-generated keys (sync/storage.py
`check_key`: no "..", no absolute paths), checked again here before touching the disk.
Prints one line: the number of objects and bytes copied.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath


def client():
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("SPOTCHECK_S3_ENDPOINT_URL") or None,
        region_name=os.environ.get("SPOTCHECK_S3_REGION") or None,
        aws_access_key_id=os.environ.get("SPOTCHECK_S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=os.environ.get("SPOTCHECK_S3_SECRET_ACCESS_KEY") or None,
    )


def bucket() -> str:
    name = os.environ.get("SPOTCHECK_S3_BUCKET")
    if not name:
        sys.exit("SPOTCHECK_S3_BUCKET is not set")
    return name


def safe_relative(key: str) -> PurePosixPath:
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or key.endswith("/"):
        raise SystemExit(f"refusing object key {key!r}")
    return path


def download(target: Path) -> tuple[int, int]:
    s3, name = client(), bucket()
    count = size = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for obj in page.get("Contents", []):
            relative = safe_relative(obj["Key"])
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(name, obj["Key"], str(destination))
            count += 1
            size += destination.stat().st_size
    return count, size


def upload(source: Path) -> tuple[int, int]:
    s3, name = client(), bucket()
    count = size = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        key = path.relative_to(source).as_posix()
        safe_relative(key)
        s3.upload_file(str(path), name, key)
        count += 1
        size += path.stat().st_size
    return count, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["download", "upload"])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.action == "download":
        args.folder.mkdir(parents=True, exist_ok=True)
        count, size = download(args.folder)
    else:
        count, size = upload(args.folder)
    print(f"{args.action}: {count} objects, {size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
