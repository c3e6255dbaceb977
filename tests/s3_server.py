"""A real S3 server for the tests: SeaweedFS from the virtualenv, or the server TEST_MINIO_ENDPOINT names."""

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import urllib3
from minio import Minio

WEED = Path(sys.executable).parent / "weed"
READY_SECONDS = 60
# Each SeaweedFS server also listens on port + 10000 (gRPC), so ports stay below 55535.
_PORT_RANGE = (20000, 45000)
_GRPC_OFFSET = 10000


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str

    def client(self, http_client: urllib3.PoolManager | None = None) -> Minio:
        """Return a client of this server, for checks that go around the app."""
        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            http_client=http_client,
        )


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_ports(count: int) -> list[int]:
    """Pick ports that are free now, with their gRPC twins, and far enough from each other."""
    ports: list[int] = []
    while len(ports) < count:
        port = random.randrange(*_PORT_RANGE)
        spaced = all(abs(port - taken) > 20 for taken in ports)
        if spaced and _port_free(port) and _port_free(port + _GRPC_OFFSET):
            ports.append(port)
    return ports


def _start(folder: Path, ports: list[int]) -> subprocess.Popen:
    s3_port, master, volume, filer = ports
    command = [
        str(WEED), "server", f"-dir={folder / 'data'}", "-ip=127.0.0.1",
        "-s3", f"-s3.port={s3_port}", f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
        "-volume.max=100", "-master.volumeSizeLimitMB=64",
        # Off: these listen on fixed ports (8181, 9101), which two test sessions at once would fight over.
        "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-filer.localSocket={folder / 'filer.sock'}", f"-s3.localSocket={folder / 's3.sock'}",
        "-master.telemetry=false",
    ]  # fmt: skip
    (folder / "data").mkdir()
    with open(folder / "weed.log", "wb") as log:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def _answers(server: S3Server, port: int, http: urllib3.PoolManager) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        server.client(http).bucket_exists("reports")
    except Exception:  # not up yet: refused connections, 5xx while the filer starts, timeouts
        return False
    return True


def _wait_until_ready(process: subprocess.Popen, server: S3Server, port: int, log: Path) -> None:
    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1, read=3), retries=False)
    try:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(server, port, http):
                return
            time.sleep(0.3)
    finally:
        http.clear()
    tail = log.read_text(errors="replace").splitlines()[-40:]
    pytest.fail(f"SeaweedFS did not answer on port {port} (exit code {process.poll()}):\n" + "\n".join(tail))


def _signal_group(process: subprocess.Popen, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it already exited
        os.killpg(process.pid, signal_number)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server's process group: SIGTERM, and SIGKILL if it is still there after 3 seconds."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()


# Named apart from its function so that tests taking `s3_server` do not shadow an import (ruff F811).
@pytest.fixture(scope="session", name="s3_server")
def s3_server_fixture(tmp_path_factory):
    """An S3 server for the whole session: TEST_MINIO_ENDPOINT when set, else SeaweedFS started here."""
    if os.environ.get("TEST_MINIO_ENDPOINT"):
        yield S3Server(
            os.environ["TEST_MINIO_ENDPOINT"],
            os.environ.get("TEST_MINIO_ACCESS_KEY", ""),
            os.environ.get("TEST_MINIO_SECRET_KEY", ""),
        )
        return
    folder = tmp_path_factory.mktemp("seaweedfs")
    ports = _free_ports(4)
    port = ports[0]
    # Without an identities file SeaweedFS takes any key pair.
    server = S3Server(f"127.0.0.1:{port}", "mes-test", "mes-test-secret")
    process = _start(folder, ports)
    try:
        _wait_until_ready(process, server, port, folder / "weed.log")
        yield server
    finally:
        _stop(process)
