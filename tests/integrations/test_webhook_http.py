"""Webhook HTTP: signatures a receiver can verify by hand, real POSTs to a loopback receiver, and no SSRF."""

import base64
import hashlib
import hmac
import ipaddress
import socket
import ssl
import subprocess
import time
from email.utils import formatdate

import pytest

from mes_web.integrations import webhooks
from mes_web.integrations.webhooks import (
    AddressRefused,
    AllowList,
    secret_generate,
    signature_headers,
    target_check,
    webhook_post,
)
from tests.webhook_receiver import WebhookReceiver

BODY = '{"event": "batch_closed", "data": {"number": "22222", "product": "Молоко 3,2%", "units": 1200}}'.encode()
LOOPBACK = AllowList.parse("127.0.0.0/8")
# The Standard Webhooks specification's published example: this secret, id, timestamp and body sign to this.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
PUBLIC_ADDRESS = "93.184.215.14"


def standard_verify(secret: str, headers: dict, body: bytes) -> bool:
    """Verify as a receiver following the Standard Webhooks text would: any v1 signature may match."""
    key = base64.b64decode(secret[len("whsec_") :]) if secret.startswith("whsec_") else secret.encode()
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    versioned = [entry.split(",", 1) for entry in headers["webhook-signature"].split(" ")]
    return any(version == "v1" and hmac.compare_digest(value, expected) for version, value in versioned)


def simple_verify(secret: str, headers: dict, body: bytes) -> bool:
    """Verify the 'sha256=<hex>' scheme with the same key rule."""
    key = base64.b64decode(secret[len("whsec_") :]) if secret.startswith("whsec_") else secret.encode()
    expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Webhook-Signature"], expected)


def signed(*secrets: str, body: bytes = BODY) -> dict:
    return signature_headers(
        message_id="evt_01J9", timestamp=1_760_000_000, body=body, secrets=list(secrets), event_type="batch_closed"
    )


def test_the_standard_webhooks_example_signs_as_published():
    headers = signature_headers(
        message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
        secrets=[SPEC_SECRET],
        event_type="ping",
    )

    assert headers["webhook-signature"] == SPEC_SIGNATURE


@pytest.mark.parametrize("secret", [secret_generate(), "plain shared secret, кириллица тоже"])
def test_both_signatures_verify_independently(secret):
    headers = signed(secret)

    assert standard_verify(secret, headers, BODY)
    assert simple_verify(secret, headers, BODY)
    assert headers["webhook-id"] == "evt_01J9"
    assert headers["webhook-timestamp"] == "1760000000"
    assert headers["X-Webhook-Event"] == "batch_closed"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "mes_web-webhooks/1"


@pytest.mark.parametrize("secret", [secret_generate(), "plain shared secret"])
def test_a_tampered_body_or_another_secret_fails(secret):
    headers = signed(secret)
    tampered = BODY.replace(b"1200", b"1201")

    assert not standard_verify(secret, headers, tampered)
    assert not simple_verify(secret, headers, tampered)
    assert not standard_verify(secret_generate(), headers, BODY)
    assert not simple_verify("another secret", headers, BODY)


def test_a_whsec_secret_signs_with_its_decoded_bytes_not_its_text():
    secret = secret_generate()

    assert not standard_verify(secret.removeprefix("whsec_") + "x", signed(secret), BODY)
    assert signed(secret)["webhook-signature"] != signed(secret.removeprefix("whsec_"))["webhook-signature"]


def test_during_a_rotation_both_secrets_sign():
    new, old = secret_generate(), secret_generate()
    headers = signed(new, old)

    entries = headers["webhook-signature"].split(" ")
    assert len(entries) == 2 and all(entry.startswith("v1,") for entry in entries)
    for secret, entry in zip((new, old), entries, strict=True):
        assert standard_verify(secret, headers | {"webhook-signature": entry}, BODY)
    assert not standard_verify(old, headers | {"webhook-signature": entries[0]}, BODY)
    assert simple_verify(new, headers, BODY) and not simple_verify(old, headers, BODY)


def test_signing_needs_a_secret():
    with pytest.raises(ValueError):
        signed()


def test_generated_secrets_are_32_random_bytes():
    first, second = secret_generate(), secret_generate()

    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32
    assert first != second


def post(url: str, *, timeout: float = 5, allowed: AllowList = LOOPBACK, body: bytes = BODY):
    return webhook_post(url=url, body=body, headers=signed("s3cret", body=body), timeout=timeout, allowed=allowed)


def test_a_delivery_arrives_signed_and_its_answer_is_recorded(webhook_receiver):
    webhook_receiver.answer((200, {}, '{"принято": true}'))

    attempt = post(webhook_receiver.url("/hook?source=mes"))

    (received,) = webhook_receiver.requests
    assert (received.method, received.path, received.body) == ("POST", "/hook?source=mes", BODY)
    assert received.headers["Host"] == f"127.0.0.1:{webhook_receiver.port}"
    assert standard_verify("s3cret", dict(received.headers), received.body)
    assert simple_verify("s3cret", dict(received.headers), received.body)
    assert (attempt.status_code, attempt.response_body, attempt.error) == (200, '{"принято": true}', None)
    assert 0 <= attempt.latency_ms < 5000 and attempt.retry_after is None


def test_only_the_first_2_kb_of_a_big_answer_is_kept(webhook_receiver):
    webhook_receiver.answer((200, {}, b"x" * 2047 + "я".encode() + b"y" * 5_000_000))

    attempt = post(webhook_receiver.url())

    assert attempt.status_code == 200
    assert attempt.response_body == "x" * 2047 + "\ufffd"  # half of the last letter, as the record says


@pytest.mark.parametrize("status", [500, 410, 404])
def test_error_statuses_are_answers_not_errors(webhook_receiver, status):
    webhook_receiver.answer(status)

    attempt = post(webhook_receiver.url())

    assert (attempt.status_code, attempt.error, attempt.retry_after) == (status, None, None)
    assert attempt.response_body  # the reason phrase the receiver sent


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds(webhook_receiver, status):
    webhook_receiver.answer((status, {"Retry-After": "120"}))

    assert post(webhook_receiver.url()).retry_after == 120.0


def test_retry_after_as_an_http_date(webhook_receiver):
    webhook_receiver.answer((429, {"Retry-After": formatdate(time.time() + 90, usegmt=True)}))

    assert 85 <= post(webhook_receiver.url()).retry_after <= 90


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ((429, {"Retry-After": "soon"}), None),
        ((429, {"Retry-After": "-5"}), None),
        ((500, {"Retry-After": "30"}), None),
        ((429, {"Retry-After": formatdate(0, usegmt=True)}), 0.0),
    ],
)
def test_retry_after_only_when_it_means_something(webhook_receiver, behaviour, expected):
    webhook_receiver.answer(behaviour)

    assert post(webhook_receiver.url()).retry_after == expected


def test_a_slow_receiver_times_out(webhook_receiver):
    webhook_receiver.answer(("sleep", 5))

    started = time.monotonic()
    attempt = post(webhook_receiver.url(), timeout=0.3)

    assert (attempt.status_code, attempt.error) == (None, "Таймаут 0,3 с")
    assert 300 <= attempt.latency_ms < 2000 and time.monotonic() - started < 2
    assert len(webhook_receiver.requests) == 1


def test_a_closed_port_is_a_refused_connection():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    attempt = post(f"http://127.0.0.1:{port}/hook")

    assert (attempt.status_code, attempt.error, attempt.response_body) == (None, "Соединение отклонено", "")


def test_a_receiver_that_hangs_up_is_an_error(webhook_receiver):
    webhook_receiver.answer("drop")

    attempt = post(webhook_receiver.url())

    assert (attempt.status_code, attempt.error) == (None, "Сервер закрыл соединение, не ответив")


def test_redirects_are_recorded_not_followed(webhook_receiver):
    webhook_receiver.answer((302, {"Location": webhook_receiver.url("/elsewhere")}), path="/hook")

    attempt = post(webhook_receiver.url("/hook"))

    assert attempt.status_code == 302 and attempt.error is None
    assert [request.path for request in webhook_receiver.requests] == ["/hook"]


def test_an_unknown_host_is_an_error_not_an_exception():
    attempt = post("http://no-such-host.invalid/hook")

    assert (attempt.status_code, attempt.error) == (None, "Не удалось найти адрес хоста no-such-host.invalid")


@pytest.fixture
def tls_receiver(tmp_path):
    """An HTTPS receiver whose self-signed certificate names only "localhost"."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    receiver = WebhookReceiver(tls=server_context).start()
    try:
        yield receiver, cert
    finally:
        receiver.stop()


def test_https_checks_the_certificate(tls_receiver):
    receiver, _ = tls_receiver

    attempt = post(receiver.url(host="localhost"), allowed=AllowList.parse("localhost"))

    assert attempt.status_code is None
    assert attempt.error.startswith("Сертификат сервера не прошёл проверку: self-signed certificate")
    assert receiver.requests == []


def test_https_verifies_the_url_host_name_not_the_address_connected_to(tls_receiver, monkeypatch):
    receiver, cert = tls_receiver
    monkeypatch.setattr(webhooks, "_TLS", ssl.create_default_context(cafile=cert))  # trust our test certificate

    by_name = post(receiver.url(host="localhost"), allowed=AllowList.parse("localhost"))
    by_address = post(receiver.url(host="127.0.0.1"), allowed=LOOPBACK)

    assert (by_name.status_code, by_name.error) == (200, None)
    assert by_address.status_code is None and "IP address mismatch" in by_address.error
    assert [request.headers["Host"] for request in receiver.requests] == [f"localhost:{receiver.port}"]


FORBIDDEN_HOSTS = ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0", "2130706433", "127.1.2.3"]


@pytest.mark.parametrize("host", FORBIDDEN_HOSTS)
def test_loopback_is_refused_by_default_and_nothing_arrives(webhook_receiver, host):
    url = f"http://{host}:{webhook_receiver.port}/hook"

    attempt = post(url, allowed=AllowList())

    assert attempt.status_code is None
    assert "запрещён: внутренняя сеть (добавьте хост в WEBHOOK_ALLOWED_HOSTS)" in attempt.error
    with pytest.raises(AddressRefused):
        target_check(url, AllowList())
    time.sleep(0.05)
    assert webhook_receiver.requests == []


def test_the_refusal_names_the_address_and_the_host():
    attempt = post("http://localhost/hook", allowed=AllowList())

    assert attempt.error.startswith(("Адрес 127.0.0.1 хоста localhost запрещён", "Адрес ::1 хоста localhost запрещён"))


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.10/",
        "http://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    ],
)
def test_internal_networks_are_refused_without_connecting(url):
    with pytest.raises(AddressRefused, match="внутренняя сеть"):
        target_check(url, AllowList())
    assert post(url, allowed=AllowList()).error.endswith("(добавьте хост в WEBHOOK_ALLOWED_HOSTS)")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "Схема «ftp» не поддерживается"),
        ("file:///etc/passwd", "Схема «file» не поддерживается"),
        ("gopher://127.0.0.1:6379/_FLUSHALL", "Схема «gopher» не поддерживается"),
        ("http://user:pass@example.com/hook", "Логин и пароль в адресе не поддерживаются"),
        ("http://example.com@127.0.0.1/hook", "Логин и пароль в адресе не поддерживаются"),
        ("http:///hook", "В адресе нет хоста"),
        ("http://example.com:99999/hook", "Некорректный адрес"),
        ("http://a..b/hook", "Некорректный адрес"),
        ("http://plant.local\n.evil.example/hook", "Некорректный адрес: в нём пробел или управляющий символ"),
        ("http://plant.local/a b", "Некорректный адрес: в нём пробел или управляющий символ"),
    ],
)
def test_urls_that_are_not_plain_http_are_refused(url, reason):
    with pytest.raises(AddressRefused, match=reason):
        target_check(url, LOOPBACK)
    assert post(url).error.startswith(reason)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", "127.0.0.0/8"),
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "LocalHost"),
        ("localhost", "127.0.0.1, ::1"),
        ("[::ffff:127.0.0.1]", "127.0.0.0/8"),
    ],
)
def test_the_allow_list_lets_a_named_internal_host_through(webhook_receiver, host, allowed):
    attempt = post(f"http://{host}:{webhook_receiver.port}/hook", allowed=AllowList.parse(allowed))

    assert (attempt.status_code, attempt.error) == (200, None)
    assert len(webhook_receiver.requests) == 1


def test_the_allow_list_opens_only_what_it_names():
    allowed = AllowList.parse("plant-1c.local, 10.20.0.0/16")

    target_check("http://10.20.5.5/hook", allowed)
    with pytest.raises(AddressRefused, match="10.21.0.1"):
        target_check("http://10.21.0.1/hook", allowed)
    with pytest.raises(AddressRefused):
        target_check("http://localhost/hook", allowed)


def test_allow_list_parsing():
    parsed = AllowList.parse(" Plant-1C.local ,10.0.0.0/8,, 192.168.1.5, fd00::/8, label-server. ")

    assert parsed.hosts == {"plant-1c.local", "label-server"}
    assert parsed.networks == tuple(map(ipaddress.ip_network, ["10.0.0.0/8", "192.168.1.5/32", "fd00::/8"]))
    assert AllowList.parse(None) == AllowList.parse("") == AllowList()


@pytest.mark.parametrize("item", ["10.0.0.0/33", "10.1.2.3/8", "300.1.2.3", "http://plant.local", "plant local", "*"])
def test_allow_list_names_a_bad_item(item):
    with pytest.raises(ValueError, match=f"WEBHOOK_ALLOWED_HOSTS: {item!r}"):
        AllowList.parse(f"plant.local, {item}")


def fake_resolver(monkeypatch, answers: list[str]) -> list[str]:
    """Answer rebind.example with the next address each time it is looked up; return the log of lookups."""
    real, lookups = socket.getaddrinfo, []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = answers[min(len(lookups), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_rebinding_after_the_check_is_caught_when_connecting(webhook_receiver, monkeypatch):
    lookups = fake_resolver(monkeypatch, [PUBLIC_ADDRESS, "127.0.0.1"])
    url = f"http://rebind.example:{webhook_receiver.port}/hook"

    target_check(url, AllowList())  # when the subscription was saved, the name looked public
    attempt = post(url, allowed=AllowList())

    assert attempt.error.startswith("Адрес 127.0.0.1 хоста rebind.example запрещён")
    assert len(lookups) == 2 and webhook_receiver.requests == []


def test_the_socket_connects_to_the_address_that_was_checked(webhook_receiver, monkeypatch):
    lookups = fake_resolver(monkeypatch, [PUBLIC_ADDRESS, "127.0.0.1"])
    real_connect, connected = socket.socket.connect, []

    def connect(sock, address):
        connected.append(address)
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError  # stands for the public host, so the test never leaves the machine
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)

    attempt = post(f"http://rebind.example:{webhook_receiver.port}/hook", allowed=AllowList())

    # One lookup, checked, and connected to: a second answer pointing at loopback is never asked for.
    assert lookups == ["rebind.example"]
    assert connected == [(PUBLIC_ADDRESS, webhook_receiver.port)]
    assert attempt.error == "Соединение отклонено" and webhook_receiver.requests == []


def test_a_name_with_one_internal_address_among_public_ones_is_refused(monkeypatch):
    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in (PUBLIC_ADDRESS, "10.0.0.5")
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    with pytest.raises(AddressRefused, match="10.0.0.5"):
        target_check("http://mixed.example/hook", AllowList())
