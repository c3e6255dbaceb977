"""Files the app keeps: MinIO (S3) in production, a local folder in the embedded setup; one interface for both."""

import os
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from flask import current_app, url_for
from itsdangerous import URLSafeTimedSerializer
from minio import Minio
from minio.error import S3Error

BUCKETS = ("reports", "exports", "imports")
# Streams of unknown length go up in parts of this size, so memory holds a few parts, never the whole file.
PART_SIZE = 10 * 1024 * 1024
_COPY_CHUNK = 1024 * 1024
_MISSING = ("NoSuchKey", "NoSuchBucket")
_EXTENSION_KEY = "mes_web.storage"


@dataclass(frozen=True)
class StoredFile:
    bucket: str
    name: str
    size: int
    modified_at: datetime


def _check_bucket(bucket: str) -> None:
    if bucket not in BUCKETS:
        raise ValueError(f"Unknown bucket {bucket!r}; expected one of {', '.join(BUCKETS)}")


def _check_name(bucket: str, name: str) -> None:
    """Refuse a name that could leave its bucket's folder; both backends refuse the same names."""
    _check_bucket(bucket)
    parts = name.split("/")
    if "\\" in name or "\x00" in name or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"Unsafe object name {name!r}")


def attachment_disposition(file_name: str) -> str:
    """Build a Content-Disposition that saves as `file_name`, with RFC 5987 `filename*` for non-ASCII names."""
    # The same shape werkzeug's send_file gives, so both backends name the saved file alike.
    ascii_only = unicodedata.normalize("NFKD", file_name).encode("ascii", "ignore").decode("ascii")
    printable = "".join(c for c in ascii_only if c.isprintable() and c not in '"\\')
    fallback = " ".join(printable.split())
    header = f'attachment; filename="{fallback}"'
    if fallback != file_name:
        header += f"; filename*=UTF-8''{quote(file_name, safe='!#$&+^`|~')}"
    return header


class ObjectStorage:
    """Objects in MinIO or another S3 server; download links are pre-signed, so files never pass through the app."""

    def __init__(self, client: Minio, *, signer: Minio, link_days: int):
        self._client = client
        # Signs links for the host browsers reach; it knows its region, so signing needs no request.
        self._signer = signer
        self._link_days = link_days
        self._buckets_seen: set[str] = set()

    def buckets_ensure(self) -> None:
        """Create the buckets that are missing."""
        for bucket in BUCKETS:
            self._bucket_ready(bucket)

    def _bucket_ready(self, bucket: str) -> None:
        """Create the bucket on its first use in this process."""
        if bucket in self._buckets_seen:
            return
        if not self._client.bucket_exists(bucket):
            try:
                self._client.make_bucket(bucket)
            except S3Error as exc:  # another process created it since we asked
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
        self._buckets_seen.add(bucket)

    def upload(
        self, bucket: str, name: str, source: BinaryIO | str | Path, *, content_type: str = "application/octet-stream"
    ) -> StoredFile:
        """Store a file from a path or a binary stream, streaming it."""
        _check_name(bucket, name)
        self._bucket_ready(bucket)
        if isinstance(source, str | Path):
            self._client.fput_object(bucket, name, str(source), content_type=content_type)
        else:
            self._client.put_object(bucket, name, source, length=-1, part_size=PART_SIZE, content_type=content_type)
        stat = self._client.stat_object(bucket, name)
        return StoredFile(bucket, name, stat.size, stat.last_modified)

    @contextmanager
    def open(self, bucket: str, name: str) -> Iterator[BinaryIO]:
        """Yield the object as a readable stream; raise FileNotFoundError when it is not there."""
        _check_name(bucket, name)
        try:
            response = self._client.get_object(bucket, name)
        except S3Error as exc:
            if exc.code in _MISSING:
                raise FileNotFoundError(f"{bucket}/{name}") from exc
            raise
        try:
            yield response
        finally:
            response.close()
            response.release_conn()

    def delete(self, bucket: str, name: str) -> None:
        """Delete the object; one that is already gone is fine."""
        _check_name(bucket, name)
        try:
            self._client.remove_object(bucket, name)
        except S3Error as exc:
            if exc.code not in _MISSING:
                raise

    def download_url(self, bucket: str, name: str, *, file_name: str) -> str:
        """Pre-sign a link, valid DOWNLOAD_LINK_DAYS days, that the browser saves as `file_name`."""
        _check_name(bucket, name)
        return self._signer.presigned_get_object(
            bucket,
            name,
            expires=timedelta(days=self._link_days),
            response_headers={"response-content-disposition": attachment_disposition(file_name)},
        )

    def list(self, bucket: str, prefix: str = "") -> Iterator[StoredFile]:
        """Yield the objects whose names start with `prefix`, at any depth, in the server's order."""
        _check_bucket(bucket)
        try:
            for item in self._client.list_objects(bucket, prefix=prefix or None, recursive=True):
                yield StoredFile(bucket, item.object_name, item.size, item.last_modified)
        except S3Error as exc:
            if exc.code != "NoSuchBucket":
                raise


class FolderStorage:
    """Files under <root>/<bucket>/<name>; the app serves them through signed, expiring links."""

    def __init__(self, root: str | Path, *, secret_key: str, link_days: int):
        self._root = Path(root)
        self._link_days = link_days
        self._links = URLSafeTimedSerializer(secret_key, salt="file-download")

    def buckets_ensure(self) -> None:
        """Create the bucket folders that are missing."""
        for bucket in BUCKETS:
            (self._root / bucket).mkdir(parents=True, exist_ok=True)

    def path(self, bucket: str, name: str) -> Path:
        """Return where the file lives; refuse a name that would leave its bucket's folder."""
        _check_name(bucket, name)
        folder = (self._root / bucket).resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(folder):  # a symlink inside the folder could still point out
            raise ValueError(f"Unsafe object name {name!r}")
        return path

    def upload(
        self, bucket: str, name: str, source: BinaryIO | str | Path, *, content_type: str = "application/octet-stream"
    ) -> StoredFile:
        """Store a file from a path or a binary stream; readers never see it half-written."""
        path = self.path(bucket, name)
        received = self._receive(source)
        try:
            self._move_into_place(received, path)
        finally:
            received.unlink(missing_ok=True)
        return _stored(bucket, name, path)

    def _receive(self, source: BinaryIO | str | Path) -> Path:
        """Copy the source to a temporary file on the same disk, so the final move is atomic."""
        incoming = self._root / ".incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=incoming)
        try:
            with os.fdopen(handle, "wb") as target:
                if isinstance(source, str | Path):
                    with open(source, "rb") as stream:
                        shutil.copyfileobj(stream, target, _COPY_CHUNK)
                else:
                    shutil.copyfileobj(source, target, _COPY_CHUNK)
        except BaseException:
            os.unlink(temporary)
            raise
        return Path(temporary)

    def _move_into_place(self, received: Path, path: Path) -> None:
        # A delete next door may remove the folder we just made (it prunes empty ones): make it again once.
        for attempt in range(2):
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(received, path)
                return
            except FileNotFoundError:
                if attempt:
                    raise

    @contextmanager
    def open(self, bucket: str, name: str) -> Iterator[BinaryIO]:
        """Yield the file as a readable stream; raise FileNotFoundError when it is not there."""
        with self.path(bucket, name).open("rb") as stream:
            yield stream

    def delete(self, bucket: str, name: str) -> None:
        """Delete the file and the folders it leaves empty; a file that is already gone is fine."""
        path = self.path(bucket, name)
        path.unlink(missing_ok=True)
        folder = (self._root / bucket).resolve()
        # Names carry a folder per file (<date>/<uuid>/...): without pruning, empty folders would pile up.
        for parent in path.parents:
            if parent == folder:
                break
            try:
                parent.rmdir()
            except OSError:  # not empty, or already gone
                break

    def download_url(self, bucket: str, name: str, *, file_name: str) -> str:
        """Link to the app's download route, signed and valid DOWNLOAD_LINK_DAYS days; saved as `file_name`."""
        _check_name(bucket, name)
        token = self._links.dumps({"bucket": bucket, "name": name, "file_name": file_name})
        return url_for("web.file_download", token=token, _external=True)

    def linked_file(self, token: str) -> tuple[Path, str]:
        """Return the file a download link names and the name to save it as; raise BadSignature for a bad link."""
        link = self._links.loads(token, max_age=self._link_days * 86400)
        return self.path(link["bucket"], link["name"]), link["file_name"]

    def list(self, bucket: str, prefix: str = "") -> Iterator[StoredFile]:
        """Yield the files whose names start with `prefix`, at any depth, in name order."""
        _check_bucket(bucket)
        folder = (self._root / bucket).resolve()
        # Walk only below the prefix's folder part; the rest of the prefix matches like S3's, by string.
        start = prefix.rpartition("/")[0]
        top = self.path(bucket, start) if start else folder
        names = sorted(path.relative_to(folder).as_posix() for path in top.rglob("*") if path.is_file())
        for name in names:
            if name.startswith(prefix):
                try:
                    yield _stored(bucket, name, folder / name)
                except FileNotFoundError:  # deleted while we walked
                    continue


def _stored(bucket: str, name: str, path: Path) -> StoredFile:
    stat = path.stat()
    return StoredFile(bucket, name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))


def _build(config) -> ObjectStorage | FolderStorage:
    """Pick the backend: MinIO when MINIO_ENDPOINT is set, else the folder."""
    if not config["MINIO_ENDPOINT"]:
        return FolderStorage(
            config["FILES_FOLDER"], secret_key=config["SECRET_KEY"], link_days=config["DOWNLOAD_LINK_DAYS"]
        )

    def client(endpoint: str, **options) -> Minio:
        return Minio(
            endpoint,
            access_key=config["MINIO_ACCESS_KEY"],
            secret_key=config["MINIO_SECRET_KEY"],
            secure=config["MINIO_SECURE"],
            **options,
        )

    signer = client(config["MINIO_PUBLIC_ENDPOINT"] or config["MINIO_ENDPOINT"], region=config["MINIO_REGION"])
    return ObjectStorage(client(config["MINIO_ENDPOINT"]), signer=signer, link_days=config["DOWNLOAD_LINK_DAYS"])


def storage() -> ObjectStorage | FolderStorage:
    """The storage of the current app (built once per app, kept in app.extensions)."""
    extensions = current_app.extensions
    if _EXTENSION_KEY not in extensions:
        extensions[_EXTENSION_KEY] = _build(current_app.config)
    return extensions[_EXTENSION_KEY]
