"""PDF files from HTML with WeasyPrint, which may read our own static files and nothing else.

A report carries text 1C and operators typed (nomenclature, codes). Templates escape it, and the
fetcher is the second wall: a stray <img> or url() can neither read a local file nor call out.
"""

import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse
from werkzeug.security import safe_join

# The base URL of every document. ".invalid" (RFC 2606) never resolves: this is a name for our static
# folder that relative URLs join onto, never a host anything connects to.
ORIGIN = "https://mes-web.invalid"


class ResourceRefused(ValueError):
    """A document asked for something other than one of our static files."""


def static_url(filename: str) -> str:
    """The URL a print template uses for one of our static files."""
    return f"{ORIGIN}{current_app.static_url_path}/{filename}"


class StaticFilesFetcher(URLFetcher):
    """Serves ORIGIN/static/... from the app's static folder; refuses file:, data:, http(s) and the rest."""

    def __init__(self, static_folder: str, static_url_path: str):
        # A refusal stops the rendering: a report silently missing a part is worse than a failed job.
        super().__init__(fail_on_errors=True)
        self.folder = os.path.realpath(static_folder)
        self.prefix = f"{static_url_path.rstrip('/')}/"

    def static_path(self, url: str) -> str:
        """The file `url` names inside the static folder, or ResourceRefused."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != ORIGIN or not parts.path.startswith(self.prefix):
            raise ResourceRefused(f"only our static files can be read, not {url[:200]!r}")
        joined = safe_join(self.folder, unquote(parts.path.removeprefix(self.prefix)))
        real = os.path.realpath(joined) if joined else ""
        if not real.startswith(self.folder + os.sep) or not os.path.isfile(real):
            raise ResourceRefused(f"no static file {parts.path[:200]!r}")
        return real

    def fetch(self, url, headers=None):
        path = self.static_path(url)
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"  # our static files are UTF-8; print.css has Cyrillic in it
        return URLFetcherResponse(url, Path(path).read_bytes(), {"Content-Type": content_type})


def static_files_fetcher() -> StaticFilesFetcher:
    return StaticFilesFetcher(current_app.static_folder, current_app.static_url_path)


def pdf_write(html: str, target: Path) -> None:
    """Lay out `html` and write the PDF to `target`; ResourceRefused if it asks for anything but our static files."""
    try:
        HTML(string=html, base_url=f"{ORIGIN}/", url_fetcher=static_files_fetcher()).write_pdf(target)
    except FatalURLFetchingError as refused:
        # WeasyPrint stops with a BaseException; callers (a job, a test) deal in ordinary exceptions.
        raise (refused.__cause__ or ResourceRefused(str(refused))) from None
