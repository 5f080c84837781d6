"""The near-duplicate index: exact similarities, incremental updates, the bulk scan, persistence, and the
same behaviour in memory and in Redis (no database).

The Redis tests use the local Redis at 127.0.0.1:6379, database 15, each under its own key prefix, which
they delete afterwards; they fail (they do not skip) when Redis is not running, since the shared index is
what production uses.
"""

from __future__ import annotations

import random
import uuid
from itertools import combinations

import numpy as np
import pytest
import redis

from dalun.engines.near_dup import LshParams, MemoryStore, NearDupIndex, RedisStore, sign
from dalun.engines.near_dup.hashing import jaccard_against, jaccard_pairs, shingle_sets
from dalun.engines.near_dup.memory import TAIL_ROWS
from dalun.engines.segment import tokens

REDIS_URL = "redis://127.0.0.1:6379/15"

MEASURE = (
    "针对企业开办审批环节多、时限长问题，我局将于2024年6月底前推行一窗通办，"
    "把开办时间由5个工作日压缩至1个工作日。"
)
MEASURE_COPY = MEASURE.replace("我局", "本局")
ENGLISH = (
    "By the end of June the bureau will open a single window and cut business registration "
    "from five days to one."
)
UNRELATED = "长治市潞州区对辖区内19家加油站开展油气回收专项检查，发现问题7处。"


def shingles(text: str) -> set[tuple[str, ...]]:
    """The word pairs of a text, as strings: the definition the index must reproduce."""
    words = tokens(text)
    return set(zip(words, words[1:], strict=False)) if len(words) > 1 else {tuple(words)}


def exact(a: str, b: str) -> float:
    first, second = shingles(a), shingles(b)
    return len(first & second) / len(first | second)


def corpus(count: int, seed: int = 1) -> list[tuple[str, str]]:
    """Ledger-like texts with planted near-copies (every fifth text edits an earlier one)."""
    rng = random.Random(seed)
    subjects = [
        "企业开办",
        "不动产登记",
        "施工许可",
        "社保登记",
        "医保备案",
        "business registration",
        "building permits",
    ]
    faults = [
        "环节多",
        "时限长",
        "材料繁琐",
        "预约难",
        "排队时间长",
        "takes too long",
        "needs too many documents",
    ]
    texts: list[str] = []
    for number in range(count):
        if number % 5 == 4:
            base = tokens(texts[rng.randrange(number)])
            for _ in range(rng.randint(0, 3)):
                base[rng.randrange(len(base))] = rng.choice(["进一步", "切实", "further", "12"])
            texts.append(" ".join(base))
        else:
            texts.append(
                f"{rng.choice(subjects)}{rng.choice(faults)}，"
                f"{rng.randint(2019, 2025)}年共受理投诉{rng.randint(1, 500)}件，"
                f"其中{rng.randint(1, 90)}件超过承诺时限，涉及{rng.choice(['小店区', '迎泽区', '潞州区'])}"
                f"{rng.randint(2, 30)}个街道，满意率{rng.randint(40, 99)}%。"
            )
    return [(f"t{number}", text) for number, text in enumerate(texts)]


@pytest.fixture(scope="module")
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.fail(
            f"these tests need Redis at {REDIS_URL} (start it: redis-server --daemonize yes): {error}"
        )
    return client


@pytest.fixture
def redis_store(redis_client):
    store = RedisStore(redis_client, prefix=f"dalun:test:near_dup:{uuid.uuid4().hex}")
    yield store
    store.clear()
    redis_client.delete(f"{store.prefix}:params")


@pytest.fixture(params=["memory", "redis"])
def index(request):
    if request.param == "memory":
        return NearDupIndex()
    return NearDupIndex(request.getfixturevalue("redis_store"))


def test_query_finds_a_near_copy_with_its_exact_similarity(index):
    index.add("problem:1", MEASURE)
    index.add("problem:2", UNRELATED)
    found = index.query(MEASURE_COPY)
    assert found == [("problem:1", pytest.approx(exact(MEASURE, MEASURE_COPY)))]
    assert 0.8 <= found[0][1] < 1.0


def test_query_orders_by_similarity_and_honours_threshold_and_exclude(index):
    index.add("a", MEASURE)
    index.add("b", MEASURE_COPY)
    assert [id for id, _ in index.query(MEASURE)] == ["a", "b"]
    assert index.query(MEASURE, threshold=1.0) == [("a", 1.0)]
    assert [id for id, _ in index.query(MEASURE, exclude="a")] == ["b"]
    with pytest.raises(ValueError):
        index.query(MEASURE, threshold=0)


def test_adding_under_the_same_id_replaces_the_text(index):
    index.add("note:7", MEASURE)
    index.add("note:7", UNRELATED)
    assert len(index) == 1
    assert index.query(MEASURE) == []
    assert index.query(UNRELATED) == [("note:7", 1.0)]


def test_remove_and_texts_without_words(index):
    index.add("x", MEASURE)
    assert "x" in index
    assert index.remove("x") is True
    assert index.remove("x") is False
    assert index.query(MEASURE) == []
    index.add("y", MEASURE)
    assert index.add("y", "，。！") is False  # no words: not stored, and the old text is gone
    assert "y" not in index and len(index) == 0
    assert index.query("？？") == []


def test_chinese_and_english_go_through_the_search_normalisation(index):
    index.add("en", ENGLISH)
    assert index.query(ENGLISH.upper()) == [("en", 1.0)]
    index.add("zh", MEASURE)
    full_width = MEASURE.replace("2024", "２０２４").replace("5", "５")
    assert index.query(full_width)[0] == ("zh", 1.0)


def test_add_many_streams_batches_and_matches_single_adds(index):
    items = corpus(300)
    assert index.add_many(items, batch=64) == 300
    single = NearDupIndex()
    for id, text in items:
        single.add(id, text)
    for _id, text in items[::25]:
        assert index.query(text) == single.query(text)


def test_similarities_are_exact_for_every_pair_returned():
    items = dict(corpus(400))
    index = NearDupIndex()
    index.add_many(items.items())
    for first, second, similarity in index.pairs(threshold=0.5):
        assert similarity == pytest.approx(exact(items[first], items[second]))


def test_pairs_agree_with_brute_force_at_0_8():
    items = corpus(500, seed=2)
    index = NearDupIndex()
    index.add_many(items)
    sets = {id: shingles(text) for id, text in items}
    truth = {
        (a, b) for a, b in combinations(sets, 2) if len(sets[a] & sets[b]) >= 0.8 * len(sets[a] | sets[b])
    }
    found = {(a, b) if a < b else (b, a) for a, b, _ in index.pairs()}
    truth = {(a, b) if a < b else (b, a) for a, b in truth}
    assert len(truth) > 50
    assert found <= truth
    assert len(found & truth) / len(truth) >= 0.98


def test_pairs_are_sorted_and_each_pair_is_reported_once():
    index = NearDupIndex()
    index.add_many(corpus(300))
    found = index.pairs(threshold=0.6)
    assert len({(a, b) for a, b, _ in found}) == len(found)
    assert all(a < b for a, b, _ in found)
    assert [s for _, _, s in found] == sorted((s for _, _, s in found), reverse=True)


def test_crowded_buckets_still_find_mass_copies_of_a_template():
    # With buckets of at most 3 rows every bucket of the 40 copies is crowded; they share every band.
    index = NearDupIndex(MemoryStore(max_bucket=3))
    index.add_many((f"copy:{number}", MEASURE) for number in range(40))
    index.add("other", UNRELATED)
    assert len(index.pairs()) == 40 * 39 // 2
    assert len(index.query(MEASURE)) == 40


def test_crowded_buckets_lose_almost_nothing_on_a_realistic_corpus():
    items = corpus(600, seed=3)
    roomy = NearDupIndex(MemoryStore(max_bucket=10**9))
    crowded = NearDupIndex(MemoryStore(max_bucket=4))
    roomy.add_many(items)
    crowded.add_many(items)
    everything = {(a, b) for a, b, _ in roomy.pairs()}
    kept = {(a, b) for a, b, _ in crowded.pairs()}
    assert kept <= everything
    assert len(kept) >= 0.97 * len(everything)


def test_new_texts_are_found_at_once_and_merged_after_the_tail_fills():
    index = NearDupIndex()
    index.add_many(corpus(200))
    store = index.store
    assert isinstance(store, MemoryStore)
    index.add("fresh", MEASURE)
    assert index.query(MEASURE_COPY)[0][0] == "fresh"  # found in the unsorted tail
    index.add_many((f"n{number}", f"{MEASURE}{number}") for number in range(TAIL_ROWS + 1))
    index.query(UNRELATED)
    assert store._merged == len(store._ids)  # the lookup merged the tail
    assert index.query(MEASURE_COPY)[0][0] == "fresh"


def test_parallel_signing_gives_the_same_index():
    items = corpus(300)
    serial, parallel = NearDupIndex(), NearDupIndex()
    serial.add_many(items, batch=50)
    assert parallel.add_many(iter(items), batch=50, workers=2) == 300
    assert serial.pairs(threshold=0.5) == parallel.pairs(threshold=0.5)


def test_save_and_load_round_trip_without_pickle(tmp_path):
    index = NearDupIndex(params=LshParams(bands=10, rows=5))
    index.add_many(corpus(300))
    index.add("t3", UNRELATED)  # replaces t3: a dead row that save() compacts away
    index.remove("t4")
    path = tmp_path / "near_dup.npz"
    index.save(path)
    with np.load(path, allow_pickle=False) as data:
        assert data["keys"].shape == (299, 10)
    loaded = NearDupIndex.load(path)
    assert loaded.params == LshParams(bands=10, rows=5)
    assert len(loaded) == 299 and "t4" not in loaded
    assert loaded.pairs(threshold=0.5) == index.pairs(threshold=0.5)
    assert loaded.query(UNRELATED)[0] == ("t3", 1.0)
    loaded.add("later", MEASURE)  # a loaded index keeps growing
    assert loaded.query(MEASURE)[0] == ("later", 1.0)


def test_load_rejects_a_file_that_is_not_an_index(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, format=np.array("something else"))
    with pytest.raises(ValueError):
        NearDupIndex.load(path)


def test_redis_index_has_no_file_and_no_scan(redis_store):
    index = NearDupIndex(redis_store)
    with pytest.raises(TypeError):
        index.save("x.npz")
    with pytest.raises(TypeError):
        index.pairs()


def test_redis_workers_share_one_index(redis_client, redis_store):
    NearDupIndex(redis_store).add("p1", MEASURE)
    other_worker = NearDupIndex(RedisStore(redis_client, prefix=redis_store.prefix))
    assert other_worker.query(MEASURE_COPY)[0][0] == "p1"


def test_redis_store_refuses_other_parameters_under_the_same_prefix(redis_client, redis_store):
    with pytest.raises(ValueError):
        RedisStore(redis_client, prefix=redis_store.prefix, params=LshParams(bands=16, rows=8))


def test_redis_crowded_buckets_behave_as_in_memory(redis_client, redis_store):
    crowded = NearDupIndex(RedisStore(redis_client, prefix=redis_store.prefix, max_bucket=3))
    memory = NearDupIndex(MemoryStore(max_bucket=3))
    items = corpus(150) + [(f"copy:{number}", MEASURE) for number in range(10)]
    crowded.add_many(items)
    memory.add_many(items)
    for _id, text in items[::7] + [("", MEASURE)]:
        assert crowded.query(text, threshold=0.5) == memory.query(text, threshold=0.5)


def test_redis_clear_deletes_only_its_own_prefix(redis_client, redis_store):
    neighbour = f"{redis_store.prefix}-neighbour"
    redis_client.set(neighbour, "keep")
    try:
        NearDupIndex(redis_store).add("a", MEASURE)
        assert redis_store.clear() > 0
        assert len(redis_store) == 0
        assert redis_client.get(neighbour) == b"keep"
    finally:
        redis_client.delete(neighbour)


def test_candidate_probability_documents_the_banding():
    params = LshParams()
    assert params.num_perm == 120
    assert params.candidate_probability(0.8) > 0.997
    assert params.candidate_probability(0.3) < 0.02


def test_vectorised_jaccard_matches_python_sets():
    texts = [text for _id, text in corpus(40)]
    sets = shingle_sets(texts, LshParams())

    def python(a: int, b: int) -> float:
        first, second = set(sets.get(a)), set(sets.get(b))
        return len(first & second) / len(first | second)

    assert jaccard_pairs(sets, np.arange(0, 39), np.arange(1, 40)) == pytest.approx(
        [python(a, a + 1) for a in range(39)]
    )
    assert jaccard_against(sets.get(0), sets.take(np.arange(1, 40))) == pytest.approx(
        [python(0, b) for b in range(1, 40)]
    )


def test_sign_skips_texts_without_words_and_keeps_positions():
    signed = sign(["", MEASURE, "。", ENGLISH], LshParams())
    assert list(signed.kept) == [1, 3]
    assert signed.keys.shape == (2, 20)
