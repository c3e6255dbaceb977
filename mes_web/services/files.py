"""Files in object storage: a job's finished file, an uploaded one, and letting old ones go."""

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import BinaryIO
from uuid import uuid4

from mes_web.clock import utcnow
from mes_web.errors import InvalidState
from mes_web.integrations.storage import BUCKETS, storage


def _object_name(file_name: str, folder: str) -> str:
    return f"{utcnow():%Y/%m/%d}/{folder}/{file_name}"


def file_store(
    *,
    bucket: str,
    file_name: str,
    source: Path | BinaryIO,
    folder: str | None = None,
    content_type: str = "application/octet-stream",
) -> dict:
    """Keep a file under a folder of its own; return what a job records about it."""
    name = _object_name(file_name, folder or uuid4().hex)
    stored = storage().upload(bucket, name, source, content_type=content_type)
    return {"bucket": bucket, "object_name": stored.name, "file_name": file_name, "file_size": stored.size}


def file_made(*, bucket: str, folder: str, write: Callable[[Path], tuple[str, str]]) -> dict:
    """Let `write` make a file in a scratch folder (it returns the file name and type), then keep it."""
    with TemporaryDirectory() as scratch:
        target = Path(scratch) / "file"
        file_name, content_type = write(target)
        return file_store(bucket=bucket, file_name=file_name, source=target, folder=folder, content_type=content_type)


@contextmanager
def file_copy(*, bucket: str, object_name: str, suffix: str) -> Iterator[Path]:
    """A local copy of a stored file for as long as the caller needs it."""
    with TemporaryDirectory() as scratch:
        copy = Path(scratch) / f"file{suffix}"
        try:
            with storage().open(bucket, object_name) as stream, copy.open("wb") as local:
                shutil.copyfileobj(stream, local, 1 << 20)
        except FileNotFoundError:
            raise InvalidState("Загруженный файл больше не хранится; загрузите его заново.") from None
        yield copy


def files_delete_older_than(*, days: int) -> int:
    """Delete files older than `days` from every bucket; return how many went."""
    cutoff, deleted = utcnow() - timedelta(days=days), 0
    files = storage()
    for bucket in BUCKETS:
        for old in [stored for stored in files.list(bucket) if stored.modified_at < cutoff]:
            files.delete(bucket, old.name)
            deleted += 1
    return deleted
