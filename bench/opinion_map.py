"""Opinion maps: our engine against red-dwarf on real Pol.is conversations, then at province scale.

Part 1, real data. For each Pol.is export folder (by default every conversation in ``shared/data/polis``
beside the repository; pass other folders as arguments), in one process and on the same votes: our
``compute_opinion_map`` and red-dwarf's ``run_pipeline`` (red-dwarf is a Python re-implementation of the
Pol.is pipeline from PyPI: PCA, clustering, repness and consensus, like ours). Each time is the median
of 5 rounds after a warm-up, the two tools taking turns in every round, from the votes to the finished
map (our vote matrix is built inside the timing; red-dwarf gets its native list of vote dicts). Peak
memory is measured in separate runs under ``tracemalloc`` (NumPy allocations included). The adjusted
Rand index (ARI) of each tool's groups against Pol.is's own ``group-id`` counts the participants that
both Pol.is and the tool cluster. Per conversation X: ``ours_s__X``, ``reddwarf_s__X``, ``speedup__X``
(red-dwarf's time over ours), ``ours_peak_mb__X``, ``reddwarf_peak_mb__X``, ``ours_groups__X``,
``reddwarf_groups__X``, ``polis_groups__X``, ``ours_ari__X``, ``reddwarf_ari__X``; then
``speedup_min`` and ``ari_ours_minus_reddwarf_min`` over all conversations. Pol.is starts k-means from
the first distinct points in row order, so its result depends on the order of the participants; ours
must not: the ARI over 10 seeded shuffles of the rows (``ours_ari_shuffled_min/median/max__X``) shows
whether it does, and the ARI over the seeds 0-9 (``ours_ari_seeds_min/median/max__X``) whether the
seeded k-means++ starts leave anything to chance. red-dwarf starts from the smallest points in sorted
order and does not depend on the row order either. ``ours_vs_reddwarf_ari__X``: how far the two
tools' groups agree with each other (over the participants both cluster).

Part 2, synthetic. 100,000 participants x 2,000 statements with exactly 5,000,000 votes from four planted
opinion groups (35/30/20/15%, laid out on a square of two opinion axes; a participant agrees with
probability 0.85 where the group leans for, 0.05 where it leans against, 0.45 where it is neutral, and
passes one time in ten), each participant voting on about 50 random statements. ``synthetic_100k_s``
(votes to map, the vote matrix included; ``synthetic_100k_cpu_s``: the CPU time of the same run, which
a busy machine does not inflate), ``synthetic_100k_peak_mb`` (tracemalloc peak of a separate run),
``synthetic_100k_groups`` and ``synthetic_100k_ari`` (against the planted groups). Then 10,000 new
votes (existing participants, random statements, some replacing earlier votes) are merged with
``with_votes`` and the map recomputed with the previous one as warm start: ``incremental_10k_s`` (merge
and update; ``incremental_10k_cpu_s`` likewise), ``incremental_10k_ari`` (planted groups) and
``incremental_10k_same_group`` (share of participants whose group id did not change). The 1-minute load
average at the start and end of the run, and ``process_max_rss_mb`` (the whole process, data generation
included), end it.

red-dwarf is not a project dependency. When it cannot be imported, the full run creates a virtual
environment for it in ``var/bench/reddwarf-venv`` (pip install red-dwarf, once) and runs itself again
with that Python, with ``src`` on the path; ``--small`` (the CI smoke run: the smallest conversation and
a 5,000 x 200 synthetic with 250,000 votes, same figure names) uses red-dwarf only if it is already
importable. Run from the project root::

    .venv/bin/python bench/opinion_map.py                  # everything, red-dwarf installed on demand
    .venv/bin/python bench/opinion_map.py path/to/export   # other Pol.is export folders
    .venv/bin/python bench/opinion_map.py --small          # a few seconds
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dalun.engines import polis_csv  # noqa: E402
from dalun.engines.opinion_map import (  # noqa: E402
    OpinionMap,
    adjusted_rand_index,
    compute_opinion_map,
    vote_matrix,
    with_votes,
)

DATA = ROOT / "tests" / "data" / "polis"
SMALL_CONVERSATION = "brexit-consensus"
REDDWARF = "red-dwarf==0.4.0"
REDDWARF_VENV = ROOT / "var" / "bench" / "reddwarf-venv"
REPEATS = 5
SHUFFLES = 10
FULL = (100_000, 2_000, 5_000_000)
SMALL = (5_000, 200, 250_000)
NEW_VOTES = 10_000


def main() -> None:
    arguments = _arguments()
    if not arguments.small and not arguments.no_reddwarf and not _reddwarf_importable():
        _run_with_reddwarf()
    use_reddwarf = not arguments.no_reddwarf and _reddwarf_importable()
    folders = [Path(f) for f in arguments.folders] or _default_folders(arguments.small)
    report("reddwarf_available", "yes" if use_reddwarf else "no")
    report("load_average_1m_start", f"{os.getloadavg()[0]:.2f}")
    speedups, margins = [], []
    for folder in folders:
        speedup, margin = _conversation(folder, use_reddwarf)
        if speedup is not None and margin is not None:
            speedups.append(speedup)
            margins.append(margin)
    if speedups:
        report("speedup_min", f"{min(speedups):.1f}", "x")
        report("ari_ours_minus_reddwarf_min", f"{min(margins):+.3f}")
    _synthetic(*(SMALL if arguments.small else FULL))
    report("load_average_1m_end", f"{os.getloadavg()[0]:.2f}")
    report("process_max_rss_mb", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}", "MB")


def report(name: str, value: object, unit: str = "") -> None:
    print(f"{name}: {value}{' ' + unit if unit else ''}", flush=True)


# Real conversations


def _conversation(folder: Path, use_reddwarf: bool) -> tuple[float | None, float | None]:
    name = folder.name
    export = polis_csv.read_export(folder)
    latest = export.votes.latest()
    _, participant_ids, comment_ids = export.vote_matrix()
    moderated = export.moderated_out(comment_ids)
    rows = np.searchsorted(participant_ids, latest.voter)
    cols = np.searchsorted(comment_ids, latest.comment)
    shape = (participant_ids.size, comment_ids.size)
    reference = _polis_groups(export, participant_ids)

    def ours() -> OpinionMap:
        return compute_opinion_map(vote_matrix(rows, cols, latest.vote, shape=shape), moderated_out=moderated)

    runs: dict[str, Callable[[], object]] = {"ours": ours}
    if use_reddwarf:
        from reddwarf.implementations.polis import run_pipeline

        votes = [
            {"participant_id": int(p), "statement_id": int(c), "vote": int(v), "modified": int(t)}
            for p, c, v, t in zip(latest.voter, latest.comment, latest.vote, latest.timestamp, strict=True)
        ]
        mod_out = [int(c) for c in comment_ids[moderated]]

        def reddwarf() -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return run_pipeline(votes=votes, mod_out_statement_ids=mod_out, random_state=0)

        runs["reddwarf"] = reddwarf
    seconds = _interleaved_median_times(runs)
    result = ours()
    result_votes = vote_matrix(rows, cols, latest.vote, shape=shape)
    ours_ari = _ari(reference, result.group_of)
    report(f"ours_s__{name}", f"{seconds['ours']:.4f}", "s")
    report(f"ours_peak_mb__{name}", f"{_peak_mb(ours):.1f}", "MB")
    report(f"ours_groups__{name}", result.k)
    report(f"polis_groups__{name}", np.unique(reference[reference >= 0]).size)
    report(f"ours_ari__{name}", f"{ours_ari:.3f}")
    shuffled = []
    for seed in range(SHUFFLES):
        order = np.random.default_rng(seed).permutation(shape[0])  # row i of the shuffle is order[i]
        where = np.argsort(order)
        again = compute_opinion_map(
            vote_matrix(where[rows], cols, latest.vote, shape=shape), moderated_out=moderated
        )
        shuffled.append(_ari(reference[order], again.group_of))
    report(f"ours_ari_shuffled_min__{name}", f"{min(shuffled):.3f}")
    report(f"ours_ari_shuffled_median__{name}", f"{statistics.median(shuffled):.3f}")
    report(f"ours_ari_shuffled_max__{name}", f"{max(shuffled):.3f}")
    seeded = [
        _ari(reference, compute_opinion_map(result_votes, moderated_out=moderated, seed=seed).group_of)
        for seed in range(SHUFFLES)
    ]
    report(f"ours_ari_seeds_min__{name}", f"{min(seeded):.3f}")
    report(f"ours_ari_seeds_median__{name}", f"{statistics.median(seeded):.3f}")
    report(f"ours_ari_seeds_max__{name}", f"{max(seeded):.3f}")
    if not use_reddwarf:
        return None, None
    theirs = runs["reddwarf"]().participants_df["cluster_id"]  # type: ignore[attr-defined]
    labels = theirs.reindex(participant_ids).fillna(-1).astype(int).to_numpy()
    reddwarf_ari = _ari(reference, labels)
    speedup = seconds["reddwarf"] / seconds["ours"]
    report(f"reddwarf_s__{name}", f"{seconds['reddwarf']:.4f}", "s")
    report(f"reddwarf_peak_mb__{name}", f"{_peak_mb(runs['reddwarf']):.1f}", "MB")
    report(f"reddwarf_groups__{name}", np.unique(labels[labels >= 0]).size)
    report(f"reddwarf_ari__{name}", f"{reddwarf_ari:.3f}")
    report(f"ours_vs_reddwarf_ari__{name}", f"{_ari(labels, result.group_of):.3f}")
    report(f"speedup__{name}", f"{speedup:.1f}", "x")
    return speedup, ours_ari - reddwarf_ari


def _polis_groups(export: polis_csv.PolisExport, participant_ids: np.ndarray) -> np.ndarray:
    participants = export.participants
    if participants is None:
        return np.full(participant_ids.size, -1)
    group = dict(zip(participants.participant.tolist(), participants.group_id.tolist(), strict=True))
    return np.array([group.get(p, -1) for p in participant_ids.tolist()])


def _ari(reference: np.ndarray, labels: np.ndarray) -> float:
    both = (reference >= 0) & (labels >= 0)
    return adjusted_rand_index(reference[both], labels[both]) if both.any() else float("nan")


# Synthetic conversation


def _synthetic(n: int, m: int, n_votes: int) -> None:
    rng = np.random.default_rng(2024)
    truth, agree = _planted(n, m, rng)
    rows, cols = _distinct_cells(n, m, n_votes, rng)
    values = _votes(agree[truth[rows], cols], rng)
    report("synthetic_participants", n)
    report("synthetic_statements", m)
    report("synthetic_votes", rows.size)
    report("synthetic_planted_groups", agree.shape[0])

    def run() -> OpinionMap:
        return compute_opinion_map(vote_matrix(rows, cols, values, shape=(n, m)))

    start, cpu = time.perf_counter(), time.process_time()
    result = run()
    report("synthetic_100k_s", f"{time.perf_counter() - start:.2f}", "s")
    report("synthetic_100k_cpu_s", f"{time.process_time() - cpu:.2f}", "s")
    report("synthetic_100k_peak_mb", f"{_peak_mb(run):.0f}", "MB")
    report("synthetic_100k_groups", result.k)
    report("synthetic_100k_ari", f"{_ari(truth, result.group_of):.3f}")

    votes = vote_matrix(rows, cols, values, shape=(n, m))
    new_rows = rng.integers(0, n, NEW_VOTES)
    new_cols = rng.integers(0, m, NEW_VOTES)
    new_values = _votes(agree[truth[new_rows], new_cols], rng)
    start, cpu = time.perf_counter(), time.process_time()
    updated = compute_opinion_map(with_votes(votes, new_rows, new_cols, new_values), warm_start=result)
    report("incremental_10k_s", f"{time.perf_counter() - start:.2f}", "s")
    report("incremental_10k_cpu_s", f"{time.process_time() - cpu:.2f}", "s")
    report("incremental_10k_ari", f"{_ari(truth, updated.group_of):.3f}")
    same = (result.group_of == updated.group_of)[result.clustered & updated.clustered]
    report("incremental_10k_same_group", f"{same.mean():.4f}")


def _planted(n: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Group of each participant, and each group's probability of agreeing with each statement."""
    sizes = np.array([0.35, 0.30, 0.20, 0.15])
    truth = rng.choice(sizes.size, size=n, p=sizes)
    u, v = rng.choice([-1, 1], size=m), rng.choice([-1, 1], size=m)
    corners = np.array([(1, 1), (1, -1), (-1, 1), (-1, -1)])
    lean = (corners[:, :1] * u + corners[:, 1:] * v) / 2
    return truth, 0.45 + 0.4 * lean


def _distinct_cells(n: int, m: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` distinct random (participant, statement) cells, in random order."""
    keys = np.zeros(0, dtype=np.int64)
    while True:
        keys = np.concatenate([keys, rng.integers(0, n * m, count - keys.size // 2 + 1000, dtype=np.int64)])
        _, first = np.unique(keys, return_index=True)
        if first.size >= count:
            break
    keys = keys[np.sort(first)[:count]]
    return keys // m, keys % m


def _votes(agree: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    draw = rng.random(agree.size)
    return np.where(draw < agree, 1, np.where(draw < agree + 0.1, 0, -1)).astype(np.int8)


# Measuring


def _interleaved_median_times(runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median wall time of each run over ``REPEATS`` rounds after a warm-up, the runs taking turns in
    every round so that a change in the machine's load affects them alike."""
    for run in runs.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(REPEATS):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _peak_mb(run: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# red-dwarf, outside the project's environment


def _reddwarf_importable() -> bool:
    try:
        import reddwarf.implementations.polis  # noqa: F401
    except ImportError:
        return False
    return True


def _run_with_reddwarf() -> None:
    """Run this benchmark again with a Python that has red-dwarf (installed once into var/bench)."""
    if os.environ.get("DALUN_BENCH_REDDWARF") == "1":
        raise SystemExit("red-dwarf is still not importable in the benchmark's environment")
    python = REDDWARF_VENV / "bin" / "python"
    if not python.exists():
        print(f"installing {REDDWARF} into {REDDWARF_VENV} (once)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(REDDWARF_VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                REDDWARF,
                "scipy",
            ],
            check=True,
        )
    environment = dict(os.environ, DALUN_BENCH_REDDWARF="1", PYTHONPATH=str(ROOT / "src"))
    os.execve(str(python), [str(python), __file__, *sys.argv[1:]], environment)


def _default_folders(small: bool) -> list[Path]:
    if not DATA.is_dir():
        print(f"no Pol.is exports in {DATA}: real conversations skipped", file=sys.stderr)
        return []
    folders = sorted(p for p in DATA.iterdir() if (p / polis_csv.VOTES).exists())
    if small:
        return [p for p in folders if p.name == SMALL_CONVERSATION] or folders[:1]
    return folders


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folders", nargs="*", help="Pol.is export folders (default: shared/data/polis/*)")
    parser.add_argument("--small", action="store_true", help="CI smoke size: one conversation, 5,000 x 200")
    parser.add_argument("--no-reddwarf", action="store_true", help="measure our engine only")
    return parser.parse_args()


if __name__ == "__main__":
    main()
