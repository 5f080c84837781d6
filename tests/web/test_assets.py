"""The front-end asset installer: verified before extraction, only the listed members, idempotent.

Every tarball here is built in the test; nothing touches the network.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
import urllib.error
from pathlib import Path

import pytest
from django.core.management import call_command

from dalun.web import assets
from dalun.web.assets import LOCK_PATH, AssetError, install_assets, load_lock

LIBRARY = b"/*! demo-chart v1.0.0 */ window.DemoChart = {};\n"
LICENSE = b"MIT License\n\nCopyright (c) demo\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_tarball(
    tmp_path: Path, members: dict[str, bytes], *, symlinks: dict[str, str] | None = None
) -> Path:
    path = tmp_path / "registry" / "demo-chart-1.0.0.tgz"
    path.parent.mkdir(exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, link in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, link
            archive.addfile(info)
    return path


def integrity_of(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def write_lock(tmp_path: Path, tarball: Path, files: list[dict[str, str]], **overrides: str) -> Path:
    entry = {
        "package": "demo-chart",
        "version": "1.0.0",
        "license": "MIT",
        "tarball": tarball.as_uri(),
        "integrity": integrity_of(tarball),
        "files": files,
    } | overrides
    lock = tmp_path / "assets.json"
    lock.write_text(json.dumps({"assets": [entry]}), encoding="utf-8")
    return lock


STANDARD_FILES = [
    {"member": "package/dist/demo.umd.js", "target": "vendor/demo/demo.umd.js", "sha256": sha256(LIBRARY)},
    {"member": "package/LICENSE", "target": "vendor/demo/LICENSE", "sha256": sha256(LICENSE)},
]


@pytest.fixture
def registry(tmp_path):
    """A tarball holding the listed members plus files that must never be extracted."""
    return make_tarball(
        tmp_path,
        {
            "package/dist/demo.umd.js": LIBRARY,
            "package/LICENSE": LICENSE,
            "package/dist/demo.esm.js": b"export default {};\n",
            "package/../../escape.js": b"alert(1)\n",
        },
    )


@pytest.fixture
def static_dir(tmp_path):
    path = tmp_path / "static"
    path.mkdir()
    return path


def all_files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_install_writes_only_the_listed_members_from_a_file_url(tmp_path, registry, static_dir):
    lock = write_lock(tmp_path, registry, STANDARD_FILES)

    written = install_assets(lock, static_dir)

    assert written == [
        (static_dir / "vendor/demo/demo.umd.js").resolve(),
        (static_dir / "vendor/demo/LICENSE").resolve(),
    ]
    assert (static_dir / "vendor/demo/demo.umd.js").read_bytes() == LIBRARY
    assert (static_dir / "vendor/demo/LICENSE").read_bytes() == LICENSE
    assert all_files(static_dir) == {"vendor/demo/demo.umd.js", "vendor/demo/LICENSE"}
    assert not (tmp_path / "escape.js").exists()
    assert (static_dir / "vendor/demo/demo.umd.js").stat().st_mode & 0o777 == 0o644


def test_integrity_mismatch_is_refused_before_anything_is_written(tmp_path, registry, static_dir):
    wrong = "sha512-" + base64.b64encode(hashlib.sha512(b"another tarball").digest()).decode()
    lock = write_lock(tmp_path, registry, STANDARD_FILES, integrity=wrong)

    with pytest.raises(AssetError, match=r"demo-chart@1\.0\.0: integrity mismatch.*Nothing was written"):
        install_assets(lock, static_dir)

    assert all_files(static_dir) == set()


def test_member_sha256_mismatch_names_the_real_digest_and_writes_nothing(tmp_path, registry, static_dir):
    files = [STANDARD_FILES[0], STANDARD_FILES[1] | {"sha256": "0" * 64}]
    lock = write_lock(tmp_path, registry, files)

    with pytest.raises(AssetError, match=f"package/LICENSE.*sha256 {sha256(LICENSE)}"):
        install_assets(lock, static_dir)

    assert all_files(static_dir) == set()


@pytest.mark.parametrize(
    ("member", "target"),
    [
        ("package/../../escape.js", "vendor/demo/escape.js"),
        ("/etc/passwd", "vendor/demo/passwd"),
        ("package/dist/demo.umd.js", "vendor/../../outside.js"),
        ("package/dist/demo.umd.js", "dalun/dalun.css"),
    ],
)
def test_member_or_target_path_that_could_escape_is_refused(tmp_path, registry, static_dir, member, target):
    lock = write_lock(tmp_path, registry, [{"member": member, "target": target, "sha256": sha256(LIBRARY)}])

    with pytest.raises(AssetError, match="unsafe|must lie under"):
        install_assets(lock, static_dir)

    assert all_files(static_dir) == set()
    assert not (tmp_path / "outside.js").exists()


def test_symlink_member_is_refused(tmp_path, static_dir):
    tarball = make_tarball(tmp_path, {}, symlinks={"package/dist/demo.umd.js": "/etc/passwd"})
    lock = write_lock(tmp_path, tarball, STANDARD_FILES[:1])

    with pytest.raises(AssetError, match="not a regular file"):
        install_assets(lock, static_dir)

    assert all_files(static_dir) == set()


def test_second_run_downloads_nothing_and_a_changed_file_is_restored(tmp_path, registry, static_dir):
    lock = write_lock(tmp_path, registry, STANDARD_FILES)
    downloads: list[str] = []

    def opener(url, timeout):
        downloads.append(url)
        return open(registry, "rb")  # noqa: SIM115 - the installer closes it

    assert len(install_assets(lock, static_dir, opener=opener)) == 2
    assert install_assets(lock, static_dir, opener=opener) == []
    assert downloads == [registry.as_uri()]

    (static_dir / "vendor/demo/demo.umd.js").write_bytes(b"tampered")
    assert install_assets(lock, static_dir, opener=opener) == [
        (static_dir / "vendor/demo/demo.umd.js").resolve(),
        (static_dir / "vendor/demo/LICENSE").resolve(),
    ]
    assert (static_dir / "vendor/demo/demo.umd.js").read_bytes() == LIBRARY
    assert len(downloads) == 2


def test_unreachable_registry_is_reported_with_the_package_name(tmp_path, registry, static_dir):
    lock = write_lock(tmp_path, registry, STANDARD_FILES)

    def offline(url, timeout):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    with pytest.raises(AssetError, match=r"demo-chart@1\.0\.0: cannot download .*name resolution"):
        install_assets(lock, static_dir, opener=offline)

    assert all_files(static_dir) == set()


def test_fetchassets_command_says_up_to_date_when_nothing_was_fetched(monkeypatch, capsys):
    monkeypatch.setattr(
        "dalun.web.management.commands.fetchassets.install_assets", lambda *args, **kwargs: []
    )

    call_command("fetchassets")

    assert "up to date" in capsys.readouterr().out


def test_the_real_lock_is_well_formed():
    entries = load_lock(LOCK_PATH)

    assert {entry.package for entry in entries} >= {"chart.js"}
    for entry in entries:
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry.version), entry.label
        name = entry.package.rsplit("/", 1)[-1]
        assert entry.tarball == f"https://registry.npmjs.org/{entry.package}/-/{name}-{entry.version}.tgz"
        assert entry.integrity.startswith("sha512-")
        assert len(base64.b64decode(entry.integrity.removeprefix("sha512-"), validate=True)) == 64
        assert any(Path(item.member).name.upper().startswith(("LICENSE", "LICENCE")) for item in entry.files)
        for item in entry.files:
            assert re.fullmatch(r"[0-9a-f]{64}", item.sha256), item.member
            assert item.target.startswith(f"vendor/{entry.package}/"), item.target
    chart = next(entry for entry in entries if entry.package == "chart.js")
    assert chart.version == "4.4.7"
    assert {item.target for item in chart.files} >= {"vendor/chart.js/chart.umd.js"}
    assert assets.STATIC_DIR.name == "static"
