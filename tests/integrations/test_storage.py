"""Object storage on a real S3 server (SeaweedFS) and in a local folder: the same behaviour from both."""

import hashlib
import io
import random
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from werkzeug.http import parse_options_header

from mes_web.integrations.storage import BUCKETS, FolderStorage, ObjectStorage, storage
from mes_web.web.files import FILE_GONE, LINK_INVALID
from tests.conftest import make_app

MiB = 1024 * 1024
PASSPORT = "Паспорт партии 22222.pdf"
PDF = b"%PDF-1.7\n" + "Партия 22222: 1200 шт.\n".encode() * 500


def _minio_config(s3_server, **extra) -> dict:
    return {
        "MINIO_ENDPOINT": s3_server.endpoint,
        "MINIO_ACCESS_KEY": s3_server.access_key,
        "MINIO_SECRET_KEY": s3_server.secret_key,
    } | extra


@pytest.fixture(params=["minio", "folder"])
def files_app(request, tmp_path):
    """An app on each backend; the database is never touched, so an unmigrated SQLite file does."""
    config = _minio_config(request.getfixturevalue("s3_server")) if request.param == "minio" else {}
    app = make_app(f"sqlite:///{tmp_path / 'mes_web.db'}", tmp_path, **config)
    with app.test_request_context():
        yield app


@pytest.fixture
def files(files_app):
    return storage()


@pytest.fixture
def prefix() -> str:
    """A folder of this test's own: the S3 server is shared by the whole session."""
    return f"test-{uuid.uuid4().hex}/"


@pytest.fixture
def folder_app(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'mes_web.db'}", tmp_path)
    with app.test_request_context():
        yield app


class GeneratedStream(io.RawIOBase):
    """Random bytes made up as they are read, so neither side ever holds the whole file."""

    def __init__(self, size: int):
        self._left = size
        self._random = random.Random(22222)
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._random.randbytes(min(len(buffer), self._left))
        buffer[: len(chunk)] = chunk
        self._left -= len(chunk)
        self.sha256.update(chunk)
        return len(chunk)


def _read_sha256(files, bucket: str, name: str) -> str:
    digest = hashlib.sha256()
    with files.open(bucket, name) as stream:
        while chunk := stream.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def _download(app, url: str) -> tuple[int, str, bytes]:
    """Fetch a link as the browser would: folder links from the app, pre-signed ones from the S3 server."""
    if urlsplit(url).netloc == "localhost":
        with app.test_client().get(url) as response:  # closing it closes the file send_file opened
            return response.status_code, response.headers.get("Content-Disposition", ""), response.get_data()
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("Content-Disposition", ""), response.read()


def _saved_as(disposition: str) -> str:
    """Return the name a browser saves under (filename* wins over filename, as in RFC 6266)."""
    kind, options = parse_options_header(disposition)
    assert kind == "attachment"
    return options["filename"]


def test_the_app_picks_the_backend_from_its_config(files_app):
    expected = ObjectStorage if files_app.config["MINIO_ENDPOINT"] else FolderStorage
    assert isinstance(storage(), expected)
    assert storage() is storage()


def test_upload_from_a_path_reads_back_the_same_bytes(files, prefix, tmp_path):
    source = tmp_path / "passport.pdf"
    source.write_bytes(PDF)
    name = f"{prefix}2026/11/24/{uuid.uuid4()}/batch-22222.pdf"
    stored = files.upload("reports", name, source, content_type="application/pdf")
    assert (stored.bucket, stored.name, stored.size) == ("reports", name, len(PDF))
    assert abs(stored.modified_at - datetime.now(UTC)) < timedelta(minutes=1)
    with files.open("reports", name) as stream:
        assert stream.read() == PDF


def test_a_25_mib_stream_round_trips_whole(files, prefix, request):
    stream = GeneratedStream(25 * MiB)
    name = f"{prefix}export.csv"
    stored = files.upload("exports", name, stream, content_type="text/csv")
    assert stored.size == 25 * MiB
    assert _read_sha256(files, "exports", name) == stream.sha256.hexdigest()
    assert [item.size for item in files.list("exports", prefix)] == [25 * MiB]
    if isinstance(files, ObjectStorage):
        # An S3 ETag of "<md5>-3" means three parts of 10 MiB went up, not one request holding it all.
        etag = request.getfixturevalue("s3_server").client().stat_object("exports", name).etag
        assert etag.endswith("-3")


def test_list_finds_names_by_prefix_at_any_depth(files, prefix):
    for name in ("2026/11/a.pdf", "2026/12/deep/b.pdf", "2026-notes.txt", "2027/c.pdf"):
        files.upload("reports", prefix + name, io.BytesIO(name.encode()))
    listed = {item.name.removeprefix(prefix): item.size for item in files.list("reports", prefix + "2026/")}
    assert listed == {"2026/11/a.pdf": 13, "2026/12/deep/b.pdf": 18}
    # A prefix matches names as strings, as S3 does, not as folders.
    # The order is the server's: SeaweedFS lists folder by folder, MinIO by name.
    names = sorted(item.name.removeprefix(prefix) for item in files.list("reports", prefix + "2026"))
    assert names == ["2026-notes.txt", "2026/11/a.pdf", "2026/12/deep/b.pdf"]
    assert list(files.list("reports", prefix + "1999/")) == []


def test_every_listed_file_says_when_it_was_stored(files, prefix):
    files.upload("imports", f"{prefix}shift-tasks.json", io.BytesIO(b"[]"), content_type="application/json")
    (item,) = files.list("imports", prefix)
    assert item.modified_at.tzinfo is not None
    assert abs(item.modified_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_deleted_file_is_gone_and_deleting_again_is_fine(files_app, files, prefix):
    name = f"{prefix}2026/11/24/{uuid.uuid4()}/batch-22222.pdf"
    files.upload("reports", name, io.BytesIO(PDF))
    files.delete("reports", name)
    files.delete("reports", name)
    assert list(files.list("reports", prefix)) == []
    with pytest.raises(FileNotFoundError), files.open("reports", name):
        pass
    if isinstance(files, FolderStorage):  # a folder per file: none may be left behind empty
        assert list(_bucket_folder(files_app, "reports").iterdir()) == []


def _bucket_folder(app, bucket: str) -> Path:
    return Path(app.config["FILES_FOLDER"]) / bucket


def _bucket_exists(request, files_app, bucket: str) -> bool:
    if files_app.config["MINIO_ENDPOINT"]:
        return request.getfixturevalue("s3_server").client().bucket_exists(bucket)
    return _bucket_folder(files_app, bucket).is_dir()


def test_buckets_ensure_creates_the_three_buckets_and_can_run_again(files_app, files, request):
    files.buckets_ensure()
    files.buckets_ensure()
    assert all(_bucket_exists(request, files_app, bucket) for bucket in BUCKETS)


def test_download_link_gives_the_bytes_under_the_cyrillic_name(files_app, files, prefix):
    name = f"{prefix}2026/11/24/{uuid.uuid4()}/batch-22222.pdf"
    files.upload("reports", name, io.BytesIO(PDF), content_type="application/pdf")
    status, disposition, body = _download(files_app, files.download_url("reports", name, file_name=PASSPORT))
    assert (status, body) == (200, PDF)
    assert _saved_as(disposition) == PASSPORT


@pytest.mark.parametrize(
    "name", ["../secret.txt", "a/../../secret.txt", "/etc/passwd", "a\\..\\secret.txt", "a//b.pdf", ""]
)
def test_a_name_that_could_leave_its_folder_is_refused(files_app, files, name, tmp_path):
    with pytest.raises(ValueError):
        files.upload("reports", name, io.BytesIO(b"secret"))
    with pytest.raises(ValueError), files.open("reports", name):
        pass
    with pytest.raises(ValueError):
        files.delete("reports", name)
    with pytest.raises(ValueError):
        files.download_url("reports", name, file_name="passport.pdf")
    assert not (tmp_path / "secret.txt").exists()
    assert not (tmp_path / "files" / "secret.txt").exists()


def test_an_unknown_bucket_is_refused(files):
    with pytest.raises(ValueError):
        files.upload("../reports", "a.pdf", io.BytesIO(b""))


def test_links_are_signed_for_the_host_browsers_reach(s3_server, tmp_path):
    # The same server under another name: MinIO checks the host in the signature, so this link must carry it.
    public = s3_server.endpoint.replace("127.0.0.1", "localhost")
    app = make_app(
        f"sqlite:///{tmp_path / 'mes_web.db'}", tmp_path, **_minio_config(s3_server, MINIO_PUBLIC_ENDPOINT=public)
    )
    with app.app_context():
        name = f"test-{uuid.uuid4().hex}/batch-22222.pdf"
        storage().upload("reports", name, io.BytesIO(PDF))
        url = storage().download_url("reports", name, file_name=PASSPORT)
    assert urlsplit(url).netloc == public
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == [str(7 * 86400)]
    status, disposition, body = _download(app, url)
    assert (status, body, _saved_as(disposition)) == (200, PDF, PASSPORT)


def test_signing_a_link_needs_no_request_to_the_public_host(s3_server, tmp_path):
    config = _minio_config(s3_server, MINIO_PUBLIC_ENDPOINT="files.plant.invalid:9000")
    app = make_app(f"sqlite:///{tmp_path / 'mes_web.db'}", tmp_path, **config)
    with app.app_context():
        url = storage().download_url("reports", "2026/batch-22222.pdf", file_name=PASSPORT)
    assert url.startswith("http://files.plant.invalid:9000/reports/2026/batch-22222.pdf?")


def _age_links(monkeypatch, days: int) -> None:
    """Make every link look `days` older than it is."""
    now = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now(self) + days * 86400)


@pytest.mark.parametrize(("days", "status"), [(6, 200), (8, 404)])
def test_a_folder_link_works_for_seven_days(folder_app, monkeypatch, days, status):
    storage().upload("reports", "batch-22222.pdf", io.BytesIO(PDF))
    url = storage().download_url("reports", "batch-22222.pdf", file_name=PASSPORT)
    _age_links(monkeypatch, days)
    answer, _, body = _download(folder_app, url)
    assert answer == status
    assert (body == PDF) if status == 200 else (LINK_INVALID in body.decode())


def _foreign_token() -> str:
    return URLSafeTimedSerializer("another-secret", salt="file-download").dumps(
        {"bucket": "reports", "name": "batch-22222.pdf", "file_name": PASSPORT}
    )


@pytest.mark.parametrize("token", ["garbage", "foreign"])
def test_a_link_the_app_did_not_sign_is_refused(files_app, files, token):
    files.upload("reports", "batch-22222.pdf", io.BytesIO(PDF))
    token = _foreign_token() if token == "foreign" else token
    status, _, body = _download(files_app, f"http://localhost/files/{token}")
    assert status == 404
    assert LINK_INVALID in body.decode()


def test_a_folder_link_to_a_deleted_file_says_so(folder_app):
    storage().upload("reports", "2026/batch-22222.pdf", io.BytesIO(PDF))
    url = storage().download_url("reports", "2026/batch-22222.pdf", file_name=PASSPORT)
    storage().delete("reports", "2026/batch-22222.pdf")
    status, _, body = _download(folder_app, url)
    assert status == 404
    assert FILE_GONE in body.decode()
