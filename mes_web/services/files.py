"""Finished files in object storage: keep one, and let old ones go."""

from datetime import timedelta
from pathlib import Path

from mes_web.clock import utcnow
from mes_web.integrations.storage import BUCKETS, storage


def file_store(*, bucket: str, job_id: str, file_name: str, source: Path, content_type: str) -> dict:
    """Keep a job's file; return what the job's result records about it."""
    stored = storage().upload(bucket, f"{utcnow():%Y/%m/%d}/{job_id}/{file_name}", source, content_type=content_type)
    return {"bucket": bucket, "object_name": stored.name, "file_name": file_name, "file_size": stored.size}


def files_delete_older_than(*, days: int) -> int:
    """Delete files older than `days` from every bucket; return how many went."""
    cutoff, deleted = utcnow() - timedelta(days=days), 0
    files = storage()
    for bucket in BUCKETS:
        for old in [stored for stored in files.list(bucket) if stored.modified_at < cutoff]:
            files.delete(bucket, old.name)
            deleted += 1
    return deleted
