"""Outgoing webhooks over HTTP: Standard Webhooks signatures and one POST that cannot reach internal networks.

The address check happens while connecting: the host is resolved once, every address it resolves to is
checked, and the socket connects to one of those very addresses. A DNS answer that changes between a check
and a connection (rebinding) therefore never reaches an internal service.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import re
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from secrets import token_bytes
from urllib.parse import quote, urlsplit

SECRET_PREFIX = "whsec_"
USER_AGENT = "mes_web-webhooks/1"
BODY_KEPT = 2048
_ALLOWED_HOSTS_SETTING = "WEBHOOK_ALLOWED_HOSTS"
_FORBIDDEN_PROPERTIES = ("is_private", "is_loopback", "is_link_local", "is_reserved", "is_multicast", "is_unspecified")
# Ranges the properties miss: CGNAT (RFC 6598) and the deprecated IPv6 site-local range some stacks still route.
_ALSO_FORBIDDEN = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("fec0::/10"))
# A NAT64 gateway forwards 64:ff9b::a.b.c.d to a.b.c.d, so such an address is judged by the IPv4 inside.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?", re.IGNORECASE)
_LOOKS_NUMERIC = re.compile(r"[0-9.]+")
# urlsplit silently drops tabs and newlines, so "http://ex\nample.com" would go to example.com: refuse instead.
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f]")
_RETRY_AFTER_STATUSES = (429, 503)
_URL_SAFE = "/:@!$&'()*+,;=-._~%?"  # RFC 3986 reserved and unreserved characters stay as written
_TLS = ssl.create_default_context()

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def secret_generate() -> str:
    """Return a new secret: 'whsec_' and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(32)).decode("ascii")


def signing_key(secret: str) -> bytes:
    """Return the HMAC key of a secret; a 'whsec_' secret that is not base64 raises ValueError."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    return secret.encode("utf-8")


def body_bytes(payload: dict) -> bytes:
    """The bytes sent: compact UTF-8 JSON with sorted keys, so every attempt of a message sends the same body."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def signature_headers(
    *, message_id: str, timestamp: int, body: bytes, secrets: list[str], event_type: str
) -> dict[str, str]:
    """Return the headers of one delivery, signed over the exact body bytes with each secret (current one first).

    webhook-signature carries one 'v1,' signature per secret, so receivers keep verifying during a rotation.
    X-Webhook-Signature (the simpler 'sha256=<hex of HMAC(body)>' scheme) has room for one: the first secret.
    """
    if not secrets:
        raise ValueError("at least one secret is needed to sign a delivery")
    signed = f"{message_id}.{timestamp}.".encode() + body
    standard = (base64.b64encode(_hmac(secret, signed)).decode("ascii") for secret in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(f"v1,{signature}" for signature in standard),
        "X-Webhook-Signature": f"sha256={_hmac(secrets[0], body).hex()}",
        "X-Webhook-Event": event_type,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(signing_key(secret), message, hashlib.sha256).digest()


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST: the answer, or a sentence for a person saying why there was none."""

    status_code: int | None  # None when there was no HTTP answer (refused, timeout, blocked)
    latency_ms: int  # from the start of the attempt to its end, the DNS lookup included
    response_body: str  # the first 2 KB of the answer
    error: str | None  # in Russian, for the delivery history; None whenever the server answered
    retry_after: float | None  # seconds the server asked to wait, on 429 and 503 only


class AddressRefused(Exception):
    """The URL may not be called: not http(s), or its host is (or resolves to) an internal address."""


@dataclass(frozen=True)
class AllowList:
    """Hosts and networks an admin allowed despite being internal (WEBHOOK_ALLOWED_HOSTS)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, raw: str | None) -> "AllowList":
        """Parse comma-separated host names, IP addresses and CIDR ranges; ValueError names a bad item."""
        items = [_allow_item(item.strip()) for item in (raw or "").split(",") if item.strip()]
        hosts = frozenset(item for item in items if isinstance(item, str))
        return cls(hosts, tuple(item for item in items if not isinstance(item, str)))

    def permits(self, host: str, address: IPAddress) -> bool:
        """Tell whether the host name, or the address or the IPv4 address it carries, is on the list."""
        addresses = {address, _carried_ipv4(address)} - {None}
        return _host_key(host) in self.hosts or any(a in network for a in addresses for network in self.networks)


def _allow_item(item: str) -> str | IPNetwork:
    if _HOST_NAME.fullmatch(item) and not _LOOKS_NUMERIC.fullmatch(item):
        return _host_key(item)
    try:
        # strict: "10.1.2.3/8" is more likely a typo than a wish to open all of 10/8.
        return ipaddress.ip_network(item, strict=True)
    except ValueError:
        message = f"{_ALLOWED_HOSTS_SETTING}: {item!r} is neither a host name nor an IP address or CIDR range"
        raise ValueError(message) from None


def _host_key(host: str) -> str:
    return host.lower().rstrip(".")


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str


def _target(url: str) -> _Target:
    """Split a webhook URL, refusing anything but plain http(s) to a host."""
    if _UNSAFE_IN_URL.search(url):
        raise AddressRefused("Некорректный адрес: в нём пробел или управляющий символ")
    try:
        parts = urlsplit(url)
        port = parts.port
        (parts.hostname or "").encode("idna")  # as the resolver will: a bad name fails here as a bad URL
    except ValueError as exc:  # UnicodeError included
        raise AddressRefused(f"Некорректный адрес: {exc}") from None
    if parts.scheme not in _CONNECTIONS:
        raise AddressRefused(f"Схема «{parts.scheme}» не поддерживается: нужен http или https")
    # Refused rather than sent as Basic auth: "http://allowed@evil/" is a classic trick, and a password
    # in a URL ends up on every screen that shows the subscription.
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("Логин и пароль в адресе не поддерживаются")
    if not parts.hostname:
        raise AddressRefused("В адресе нет хоста")
    # A Cyrillic path (https://bot.example.ru/вебхук) goes out percent-encoded, as a browser would send it.
    path = quote(parts.path or "/", safe=_URL_SAFE) + (f"?{quote(parts.query, safe=_URL_SAFE)}" if parts.query else "")
    return _Target(parts.scheme, parts.hostname, port or _CONNECTIONS[parts.scheme].default_port, path)


def _forbidden(address: IPAddress) -> bool:
    """Tell whether an address belongs to a loopback, private, link-local or otherwise non-public range."""
    carried = _carried_ipv4(address)
    if carried is not None:
        return _forbidden(carried)
    return any(getattr(address, name) for name in _FORBIDDEN_PROPERTIES) or any(
        address in network for network in _ALSO_FORBIDDEN
    )


def _carried_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64), which is where packets end up."""
    if address.version == 4:
        return None
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour


def _resolve_vetted(host: str, port: int, allowed: AllowList) -> list[tuple[int, tuple]]:
    """Resolve the host once and return its (family, sockaddr) pairs, refusing all if any address is forbidden."""
    vetted = []
    for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(sockaddr[0])
        if _forbidden(address) and not allowed.permits(host, address):
            named = "" if host == sockaddr[0] else f" хоста {host}"
            raise AddressRefused(
                f"Адрес {sockaddr[0]}{named} запрещён: внутренняя сеть (добавьте хост в {_ALLOWED_HOSTS_SETTING})"
            )
        vetted.append((family, sockaddr))
    return vetted


def target_check(url: str, allowed: AllowList) -> None:
    """Raise AddressRefused when the URL is not http(s) or its host resolves to a forbidden address.

    A name that does not resolve raises socket.gaierror (an OSError). Passing this check proves nothing
    about a later delivery, which checks again while connecting.
    """
    target = _target(url)
    _resolve_vetted(target.host, target.port, allowed)


def _connect_vetted(host: str, port: int, timeout: float, allowed: AllowList) -> socket.socket:
    """Connect to the first reachable address among those just checked, never resolving again."""
    failure: OSError | None = None
    for family, sockaddr in _resolve_vetted(host, port, allowed):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            failure = exc
        else:
            return sock
    raise failure or OSError(f"{host} resolves to no address")


class _VettedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection whose socket goes only to an address that passed the check."""

    def __init__(self, host: str, port: int, *, timeout: float, allowed: AllowList):
        super().__init__(host, port, timeout=timeout)
        self.allowed = allowed

    def connect(self) -> None:
        self.sock = _connect_vetted(self.host, self.port, self.timeout, self.allowed)


class _VettedHTTPSConnection(_VettedHTTPConnection):
    """The same over TLS; the certificate is checked against the URL's host name, not the address."""

    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        super().connect()
        self.sock = _TLS.wrap_socket(self.sock, server_hostname=self.host)


_CONNECTIONS = {"http": _VettedHTTPConnection, "https": _VettedHTTPSConnection}


def webhook_post(
    *, url: str, body: bytes, headers: dict[str, str], timeout: float, allowed: AllowList
) -> DeliveryAttempt:
    """POST once; never follow redirects; report network trouble in the attempt instead of raising.

    The timeout bounds the connection and each read; the RQ job's timeout bounds a server that trickles bytes.
    """
    started = time.monotonic()
    try:
        target = _target(url)
        connection = _CONNECTIONS[target.scheme](target.host, target.port, timeout=timeout, allowed=allowed)
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            kept = _body_head(response)
        finally:
            connection.close()
    except (AddressRefused, OSError, http.client.HTTPException) as exc:
        return DeliveryAttempt(None, _elapsed_ms(started), "", _failure_text(exc, timeout, url), None)
    text = kept.decode("utf-8", errors="replace")
    return DeliveryAttempt(response.status, _elapsed_ms(started), text, None, _retry_after(response))


def _body_head(response: http.client.HTTPResponse) -> bytes:
    """The first 2 KB of the body; the rest is never downloaded."""
    try:
        return response.read(BODY_KEPT)
    except http.client.IncompleteRead as exc:
        return exc.partial[:BODY_KEPT]
    except (OSError, http.client.HTTPException):
        return b""  # the status has answered the delivery already; a body cut short is only not recorded


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _failure_text(exc: Exception, timeout: float, url: str) -> str:
    """A sentence for the delivery history saying why there was no answer."""
    match exc:
        case AddressRefused():
            return str(exc)
        case TimeoutError():
            return f"Таймаут {timeout:g} с".replace(".", ",")
        case ConnectionRefusedError():
            return "Соединение отклонено"
        case socket.gaierror():
            return f"Не удалось найти адрес хоста {urlsplit(url).hostname}"
        case ssl.SSLCertVerificationError():
            return f"Сертификат сервера не прошёл проверку: {exc.verify_message}"
        case ssl.SSLError():
            return f"Ошибка TLS: {exc.reason or exc}"
        case http.client.InvalidURL():
            return f"Некорректный адрес: {exc}"
        case http.client.RemoteDisconnected():
            return "Сервер закрыл соединение, не ответив"
        case ConnectionResetError():
            return "Соединение сброшено сервером"
        case http.client.HTTPException():
            return f"Некорректный ответ сервера: {type(exc).__name__}"
        case _:
            return f"Сетевая ошибка: {exc.strerror or exc}"


def _retry_after(response: http.client.HTTPResponse) -> float | None:
    """Seconds from Retry-After (delta-seconds or an HTTP-date) on 429 and 503; None otherwise."""
    value = (response.getheader("Retry-After") or "").strip()
    if response.status not in _RETRY_AFTER_STATUSES or not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # "-0000": the HTTP-date is GMT all the same
    return max(0.0, moment.timestamp() - time.time())
