"""The engine's result saved as bytes (``np.savez_compressed``) and read back as a warm start.

``compute_opinion_map(warm_start=...)`` takes the previous :class:`~dalun.engines.opinion_map.OpinionMap`.
What it reads from it (the size, the components, the clustering state) and what the pages need later (each
participant's group) is saved; the representative and consensus statements live in the snapshot's JSON,
so the map read back has groups without representative statements and no consensus.
"""

from __future__ import annotations

import io
from types import MappingProxyType
from typing import Any

import numpy as np

from dalun.engines.opinion_map import Components, Group, OpinionMap, Parameters, VoteCounts, WarmState

_ARRAYS = (
    "projection",
    "clustered",
    "group_of",
    "group_informed_consensus",
    "group_informed_consensus_disagree",
    "statement_projection",
    "statement_extremity",
)
_STATE = ("in_conv", "base_of", "base_ids", "base_centers", "base_sizes")


def dump(result: OpinionMap) -> bytes:
    arrays: dict[str, Any] = {name: np.asarray(getattr(result, name)) for name in _ARRAYS}
    arrays.update({f"state_{name}": np.asarray(getattr(result.state, name)) for name in _STATE})
    for k, clustering in result.state.group_clusterings.items():
        arrays[f"clustering_{k}"] = np.asarray(clustering)
    counts = result.statement_counts
    arrays.update(counts_agree=counts.agree, counts_disagree=counts.disagree, counts_seen=counts.seen)
    arrays.update(
        pca_center=result.pca.center,
        pca_components=result.pca.components,
        pca_eigenvalues=result.pca.eigenvalues,
    )
    arrays["group_ids"] = np.array([group.id for group in result.groups], dtype=np.int64)
    arrays["group_centers"] = np.array([group.center for group in result.groups], dtype=np.float64).reshape(
        -1, 2
    )
    arrays["silhouettes"] = np.array(sorted(result.silhouettes.items()), dtype=np.float64).reshape(-1, 2)
    state = result.state
    arrays["scalars"] = np.array(
        [
            result.k,
            -1 if state.last_k is None else state.last_k,
            state.last_k_count,
            -1 if state.smoothed_k is None else state.smoothed_k,
        ],
        dtype=np.int64,
    )
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def load(data: bytes | memoryview) -> OpinionMap:
    with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as saved:
        arrays = {name: saved[name] for name in saved.files}
    k, last_k, last_k_count, smoothed_k = (int(value) for value in arrays["scalars"])
    group_of = arrays["group_of"]
    groups = tuple(
        Group(
            id=int(gid),
            members=np.flatnonzero(group_of == gid).astype(np.int64),
            center=(float(center[0]), float(center[1])),
            representative=(),
        )
        for gid, center in zip(arrays["group_ids"], arrays["group_centers"], strict=True)
    )
    state = WarmState(
        in_conv=arrays["state_in_conv"],
        base_of=arrays["state_base_of"],
        base_ids=arrays["state_base_ids"],
        base_centers=arrays["state_base_centers"],
        base_sizes=arrays["state_base_sizes"],
        group_clusterings=MappingProxyType(
            {int(name.split("_")[1]): arrays[name] for name in arrays if name.startswith("clustering_")}
        ),
        last_k=None if last_k < 0 else last_k,
        last_k_count=last_k_count,
        smoothed_k=None if smoothed_k < 0 else smoothed_k,
    )
    for array in arrays.values():
        array.setflags(write=False)
    return OpinionMap(
        projection=arrays["projection"],
        clustered=arrays["clustered"],
        group_of=group_of,
        groups=groups,
        consensus=(),
        group_informed_consensus=arrays["group_informed_consensus"],
        group_informed_consensus_disagree=arrays["group_informed_consensus_disagree"],
        statement_projection=arrays["statement_projection"],
        statement_extremity=arrays["statement_extremity"],
        statement_counts=VoteCounts(
            agree=arrays["counts_agree"], disagree=arrays["counts_disagree"], seen=arrays["counts_seen"]
        ),
        silhouettes=MappingProxyType({int(key): float(score) for key, score in arrays["silhouettes"]}),
        k=k,
        pca=Components(
            center=arrays["pca_center"],
            components=arrays["pca_components"],
            eigenvalues=arrays["pca_eigenvalues"],
        ),
        state=state,
        parameters=Parameters(),
    )
