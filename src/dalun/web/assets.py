"""Front-end libraries installed from the npm registry at setup time, never fetched from a CDN at run time.

``assets.json`` (next to this module) is the lock: for each npm package it records the exact version, the
tarball's URL and the registry's ``integrity`` (SRI sha512), and for each file taken out of the tarball its
member path, its target under ``src/dalun/static/`` and the sha256 of its content. ``install_assets``
downloads a tarball only when one of its targets is missing or differs, checks the sha512 before opening
it, takes out only the listed members (regular files, checked against their sha256) and writes each
atomically. Pure standard library, so a machine without Node.js can install Dalun.

To add a library: read ``https://registry.npmjs.org/<name>/<version>`` for ``dist.tarball`` and
``dist.integrity``, add an entry with ``"sha256": ""`` for each file, run ``dalun fetchassets``: the refusal
names the real sha256 of each member, which you check (e.g. against the published file) and copy in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import re
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

LOCK_PATH = Path(__file__).with_name("assets.json")
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
VENDOR_PREFIX = "vendor/"
TIMEOUT_SECONDS = 30.0
MAX_TARBALL_BYTES = 64 * 1024 * 1024
MAX_MEMBER_BYTES = 32 * 1024 * 1024
_CHUNK = 64 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")

Opener = Callable[[str, float], IO[bytes]]


class AssetError(Exception):
    """An asset could not be installed; the message names the package and what to do."""


@dataclass(frozen=True)
class AssetFile:
    member: str  # path inside the tarball, e.g. package/dist/chart.umd.js
    target: str  # path under static/, e.g. vendor/chart.js/chart.umd.js
    sha256: str


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    license: str
    tarball: str
    integrity: str
    files: tuple[AssetFile, ...]

    @property
    def label(self) -> str:
        return f"{self.package}@{self.version}"


def load_lock(lock_path: Path) -> list[Asset]:
    """Read and check the lock; raises AssetError naming the entry and the field at fault."""
    try:
        document = json.loads(Path(lock_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AssetError(f"{lock_path}: cannot read the asset lock ({error})") from error
    entries = document.get("assets") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise AssetError(f"{lock_path}: the lock must be an object with an 'assets' list")
    return [_asset(entry, where=f"{lock_path}: assets[{index}]") for index, entry in enumerate(entries)]


def _asset(entry: Any, *, where: str) -> Asset:
    if not isinstance(entry, dict):
        raise AssetError(f"{where}: must be an object")

    def text(key: str, source: dict[str, Any] = entry, at: str = where) -> str:
        value = source.get(key)
        if not isinstance(value, str) or not value.strip():
            raise AssetError(f"{at}: '{key}' must be a non-empty string")
        return value

    files = entry.get("files")
    if not isinstance(files, list) or not files:
        raise AssetError(f"{where}: 'files' must be a non-empty list")
    parsed = []
    for index, item in enumerate(files):
        at = f"{where}.files[{index}]"
        if not isinstance(item, dict):
            raise AssetError(f"{at}: must be an object")
        member, target = text("member", item, at), text("target", item, at)
        sha256 = item.get("sha256")
        if not isinstance(sha256, str):
            raise AssetError(f"{at}: 'sha256' must be a string")
        _check_relative(member, what="member", at=at)
        _check_relative(target, what="target", at=at)
        if not target.startswith(VENDOR_PREFIX):
            raise AssetError(f"{at}: target {target!r} must lie under {VENDOR_PREFIX}")
        parsed.append(AssetFile(member=member, target=target, sha256=sha256.lower()))
    return Asset(
        package=text("package"),
        version=text("version"),
        license=text("license"),
        tarball=text("tarball"),
        integrity=text("integrity"),
        files=tuple(parsed),
    )


def _check_relative(path: str, *, what: str, at: str) -> None:
    """Member and target paths are plain relative POSIX paths: no root, no '..', no backslash."""
    parts = PurePosixPath(path).parts
    if "\\" in path or "\x00" in path or path.startswith("/") or not parts or ".." in parts:
        raise AssetError(f"{at}: unsafe {what} path {path!r} (absolute, '..' or backslash)")


def install_assets(
    lock_path: Path,
    static_dir: Path,
    *,
    opener: Opener | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> list[Path]:
    """Install every asset of the lock under ``static_dir``; returns the files written (empty: up to date).

    An asset whose targets all exist with the recorded sha256 is skipped without any download. Otherwise
    its tarball is downloaded and checked against the lock's sha512 integrity, and each listed member is
    checked against its sha256 before any of the asset's files is written.
    """
    static_root = Path(static_dir).resolve()
    written: list[Path] = []
    for asset in load_lock(lock_path):
        targets = [_target_path(static_root, item.target, asset=asset) for item in asset.files]
        if all(_sha256_of(path) == item.sha256 for path, item in zip(targets, asset.files, strict=True)):
            continue
        tarball = _download(asset, opener=opener or _urlopen, timeout=timeout)
        _verify_integrity(asset, tarball)
        contents = _extract(asset, tarball)
        for path, data in zip(targets, contents, strict=True):
            _write_atomic(path, data)
            written.append(path)
    return written


def _target_path(static_root: Path, target: str, *, asset: Asset) -> Path:
    path = (static_root / target).resolve()
    if not path.is_relative_to(static_root / VENDOR_PREFIX.rstrip("/")):
        raise AssetError(f"{asset.label}: target {target!r} resolves outside {static_root}/vendor")
    return path


def _sha256_of(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _urlopen(url: str, timeout: float) -> IO[bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "dalun-fetchassets"})
    return urllib.request.urlopen(request, timeout=timeout)


def _download(asset: Asset, *, opener: Opener, timeout: float) -> bytes:
    try:
        with opener(asset.tarball, timeout) as response:
            buffer = io.BytesIO()
            while chunk := response.read(_CHUNK):
                buffer.write(chunk)
                if buffer.tell() > MAX_TARBALL_BYTES:
                    raise AssetError(
                        f"{asset.label}: {asset.tarball} is larger than {MAX_TARBALL_BYTES} bytes; refused"
                    )
    except urllib.error.HTTPError as error:
        raise AssetError(_unreachable(asset, f"HTTP {error.code} {error.reason}")) from error
    except urllib.error.URLError as error:
        raise AssetError(_unreachable(asset, str(error.reason))) from error
    except (OSError, ValueError) as error:  # timeouts, resets, malformed URL
        raise AssetError(_unreachable(asset, str(error) or type(error).__name__)) from error
    return buffer.getvalue()


def _unreachable(asset: Asset, reason: str) -> str:
    return (
        f"{asset.label}: cannot download {asset.tarball} ({reason}). Check the network connection or the "
        "HTTPS_PROXY setting, then run `dalun fetchassets` again."
    )


def _verify_integrity(asset: Asset, tarball: bytes) -> None:
    """Check the download against the lock's SRI string (``sha512-<base64>``, as the registry gives it)."""
    expected = [token[len("sha512-") :] for token in asset.integrity.split() if token.startswith("sha512-")]
    if not expected:
        raise AssetError(f"{asset.label}: the lock's integrity has no sha512 value; nothing was written")
    actual = base64.b64encode(hashlib.sha512(tarball).digest()).decode("ascii")
    if not any(hmac.compare_digest(actual, value) for value in expected):
        raise AssetError(
            f"{asset.label}: integrity mismatch for {asset.tarball}: the lock says {asset.integrity}, "
            f"the download is sha512-{actual}. Nothing was written."
        )


def _extract(asset: Asset, tarball: bytes) -> list[bytes]:
    """The listed members' contents, each a regular file matching its sha256; nothing else is read."""
    contents = []
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:*") as archive:
            for item in asset.files:
                try:
                    info = archive.getmember(item.member)
                except KeyError:
                    raise AssetError(f"{asset.label}: the tarball has no member {item.member!r}") from None
                if not info.isfile():
                    raise AssetError(f"{asset.label}: member {item.member!r} is not a regular file; refused")
                if info.size > MAX_MEMBER_BYTES:
                    raise AssetError(f"{asset.label}: member {item.member!r} is too large; refused")
                stream = archive.extractfile(info)
                data = stream.read() if stream else b""
                digest = hashlib.sha256(data).hexdigest()
                if not _SHA256.fullmatch(item.sha256) or not hmac.compare_digest(digest, item.sha256):
                    raise AssetError(
                        f"{asset.label}: member {item.member!r} has sha256 {digest}, the lock records "
                        f"{item.sha256 or '(nothing)'}. Nothing was written."
                    )
                contents.append(data)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise AssetError(f"{asset.label}: the tarball cannot be read ({error})") from error
    return contents


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
