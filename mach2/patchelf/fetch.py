"""Wheels by URL, downloaded at most once into a cache keyed by sha256.

Layout: ``<cache>/<sha256>/<filename>``, plus ``<cache>/urls/<sha256 of the URL>`` holding the
wheel's sha256 for URLs that carry no ``#sha256=`` fragment.  A wheel whose sha256 is known
(from the fragment or the caller) is found in the cache without any request; a download is
verified against it and written atomically.

This module is the planner's only network client; it belongs with the other clients in
``mach2.sources`` once the shared cache exists there.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from mach2.errors import ArtifactError, IndexError_

__all__ = ["fetch_wheel", "sha256_fragment"]

_CHUNK = 1 << 20


def sha256_fragment(url: str) -> str | None:
    """The hex digest of a ``#sha256=…`` URL fragment, if any."""
    fragment = urlsplit(url).fragment
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "sha256" and value:
            return value.lower()
    return None


def fetch_wheel(
    url: str,
    cache: Path,
    *,
    sha256: str | None = None,
    client: httpx.Client | None = None,
) -> Path:
    """The cached path of the wheel at ``url``, downloading it if no cached copy exists.

    :param cache: the cache directory (the CLI passes ``~/.cache/mach2/wheels``).
    :param sha256: the expected hex digest; default: the URL's ``#sha256=`` fragment.
    :raises ArtifactError: the download does not match the expected digest.
    :raises IndexError_: the server cannot be reached or answers with an error.
    """
    expected = (sha256 or sha256_fragment(url) or "").lower() or None
    filename = unquote(posixpath.basename(urlsplit(url).path)) or "download.whl"
    url_key = cache / "urls" / hashlib.sha256(url.split("#", 1)[0].encode()).hexdigest()
    if expected is None and url_key.is_file():
        expected = url_key.read_text().strip() or None
    if expected is not None:
        cached = cache / expected / filename
        if cached.is_file():
            return cached
    digest, partial = _download(url, cache, client)
    if expected is not None and digest != expected:
        partial.unlink()
        raise ArtifactError(
            f"{filename!r} from {url!r} has sha256 {digest}, expected {expected}",
            hint="the file changed on the server or the hash is wrong",
        )
    target = cache / digest / filename
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, target)
    url_key.parent.mkdir(parents=True, exist_ok=True)
    url_key.write_text(digest + "\n")
    return target


def _download(url: str, cache: Path, client: httpx.Client | None) -> tuple[str, Path]:
    cache.mkdir(parents=True, exist_ok=True)
    own = client is None
    http = client or httpx.Client(follow_redirects=True, timeout=60.0)
    hasher = hashlib.sha256()
    handle, name = tempfile.mkstemp(dir=cache, prefix=".download-")
    partial = Path(name)
    try:
        with os.fdopen(handle, "wb") as out, http.stream("GET", url.split("#", 1)[0]) as response:
            if response.status_code != 200:
                raise IndexError_(f"GET {url!r} answered HTTP {response.status_code}")
            for chunk in response.iter_bytes(_CHUNK):
                hasher.update(chunk)
                out.write(chunk)
    except httpx.HTTPError as error:
        partial.unlink(missing_ok=True)
        raise IndexError_(f"cannot download {url!r}: {error}") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        if own:
            http.close()
    return hasher.hexdigest(), partial
