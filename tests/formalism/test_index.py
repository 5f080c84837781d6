"""The near-duplicate index persists between scans, in a file or in Redis, and hashes only new texts."""

import uuid

import pytest

from dalun.demo import formalism as demo
from dalun.formalism.index import CampaignIndex, canonical
from dalun.formalism.models import Alert


def test_canonical_masks_the_units_own_name():
    assert canonical("迎泽区政务服务中心ＡＢＣ", ["迎泽区", ""]) == canonical(
        "小店区政务服务中心abc", ["小店区"]
    )


def test_file_index_survives_between_scans(scan, settings, tmp_path):
    first = scan()
    assert first.counts["texts_hashed"] > 0
    assert list((tmp_path / "formalism").glob("near-dup-*.npz"))
    assert scan().counts["texts_hashed"] == 0


def test_a_lost_index_file_is_rebuilt(scan, tmp_path):
    scan()
    for path in (tmp_path / "formalism").iterdir():
        path.unlink()
    run = scan()
    assert run.counts["texts_hashed"] > 0 and run.counts["new"] == 0


@pytest.fixture
def redis_index(monkeypatch, settings):
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis is not running at 127.0.0.1:6379 (./run test starts it)")
    prefix = f"dalun-test:formalism:{uuid.uuid4().hex}"
    monkeypatch.setenv("DALUN_CACHE_URL", "redis://127.0.0.1:6379/0")
    settings.DALUN_FORMALISM = {**settings.DALUN_FORMALISM, "redis_prefix": prefix}
    yield prefix
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def test_redis_index_finds_the_same_copies_and_persists(redis_index, scan, planted):
    first = scan()
    assert first.counts["texts_hashed"] > 0
    assert CampaignIndex(planted.pk).redis is not None
    assert Alert.objects.filter(rule="copied_pair", unit__code=demo.YINGZE).count() == 2
    assert Alert.objects.filter(rule="copied_template").count() == 1
    second = scan()
    assert second.counts["texts_hashed"] == 0 and second.counts["new"] == 0
