"""The vote matrix: one sparse row per participant, one column per statement (POLIS-METHOD §5.1).

Every *stored* entry of the CSR matrix is a vote that was cast: ``+1`` agree, ``-1`` disagree, ``0`` pass
(an explicit zero). A cell that is not stored was never voted on ("unseen", Pol.is's ``nil``). This one
structure carries both the values and the "voted" mask, so a pass can never be confused with unseen.
Note the sign: agree is ``+1`` as in Pol.is's CSV exports, not ``-1`` as inside Pol.is's math.

Build it with :func:`vote_matrix` (a later vote on the same cell replaces an earlier one, as
``nm/update-nmat`` does), add votes with :func:`with_votes`. SciPy operations that drop explicit zeros
(``eliminate_zeros``, arithmetic that rebuilds the matrix) would turn passes into unseen cells, so the
engine reads the structure only through these helpers and :func:`check_votes`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

Ints = npt.NDArray[np.int64]


def vote_matrix(
    participants: npt.ArrayLike,
    statements: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    shape: tuple[int, int] | None = None,
) -> sp.csr_array:
    """The vote matrix from parallel arrays of (participant index, statement index, vote), oldest first.

    Indices are 0-based rows and columns; ``shape`` defaults to one past the largest index of each. When the
    same cell appears more than once the last occurrence wins (list votes in time order).
    """
    rows = np.asarray(participants, dtype=np.int64).ravel()
    cols = np.asarray(statements, dtype=np.int64).ravel()
    vals = np.asarray(values).ravel()
    if not rows.size == cols.size == vals.size:
        raise ValueError("participants, statements and values must have the same length")
    if vals.size and not np.isin(vals, (-1, 0, 1)).all():
        raise ValueError("votes must be +1 (agree), -1 (disagree) or 0 (pass)")
    if rows.size and (rows.min() < 0 or cols.min() < 0):
        raise ValueError("participant and statement indices must not be negative")
    n_rows = int(rows.max()) + 1 if rows.size else 0
    n_cols = int(cols.max()) + 1 if cols.size else 0
    if shape is not None:
        if shape[0] < n_rows or shape[1] < n_cols:
            raise ValueError(f"shape {shape} is too small for indices up to ({n_rows - 1}, {n_cols - 1})")
        n_rows, n_cols = int(shape[0]), int(shape[1])
    keys = rows * max(n_cols, 1) + cols
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    # Keep the last vote of each run of equal keys (the stable sort kept their original order).
    last = np.ones(keys.size, dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]
    kept = order[last]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[kept], minlength=n_rows), out=indptr[1:])
    index_type = np.int32 if max(n_cols, kept.size) < 2**31 else np.int64
    matrix = sp.csr_array(
        (vals[kept].astype(np.int8), cols[kept].astype(index_type), indptr.astype(index_type)),
        shape=(n_rows, n_cols),
    )
    matrix.has_canonical_format = True
    return matrix


def with_votes(
    votes: sp.csr_array | sp.csr_matrix,
    participants: npt.ArrayLike,
    statements: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    shape: tuple[int, int] | None = None,
) -> sp.csr_array:
    """``votes`` with more votes added (they replace earlier votes on the same cells); grows as needed.

    New participants and statements get the next indices, so a row or column keeps its meaning across
    updates, as :func:`~dalun.engines.opinion_map.compute_opinion_map`'s warm start requires.
    """
    votes = check_votes(votes)
    rows = np.repeat(np.arange(votes.shape[0], dtype=np.int64), np.diff(votes.indptr))
    new_rows = np.asarray(participants, dtype=np.int64).ravel()
    new_cols = np.asarray(statements, dtype=np.int64).ravel()
    n_rows = max(votes.shape[0], int(new_rows.max()) + 1 if new_rows.size else 0)
    n_cols = max(votes.shape[1], int(new_cols.max()) + 1 if new_cols.size else 0)
    if shape is not None:
        n_rows, n_cols = max(n_rows, shape[0]), max(n_cols, shape[1])
    return vote_matrix(
        np.concatenate([rows, new_rows]),
        np.concatenate([votes.indices.astype(np.int64), new_cols]),
        np.concatenate([votes.data, np.asarray(values).ravel()]),
        shape=(n_rows, n_cols),
    )


def check_votes(votes: sp.sparray | sp.spmatrix) -> sp.csr_array:
    """``votes`` as a canonical CSR array of int8 votes, after checking that every value is -1, 0 or 1.

    Duplicate entries (which only a hand-built matrix can have) are rejected rather than summed: a sum of
    two votes is not a vote.
    """
    if not sp.issparse(votes):
        raise TypeError("votes must be a SciPy sparse matrix (see vote_matrix)")
    matrix = sp.csr_array(votes)
    if matrix.nnz and not np.isin(matrix.data, (-1, 0, 1)).all():
        raise ValueError("votes must be +1 (agree), -1 (disagree) or 0 (pass)")
    if not matrix.has_canonical_format:
        matrix = matrix.copy()
        matrix.sort_indices()
        starts = np.repeat(matrix.indptr[:-1], np.diff(matrix.indptr))
        positions = np.arange(matrix.nnz)
        repeated = (positions > starts) & (matrix.indices == np.roll(matrix.indices, 1))
        if repeated.any():
            raise ValueError("votes has duplicate entries for one cell; build it with vote_matrix")
        matrix.has_canonical_format = True
    if matrix.data.dtype != np.int8:
        matrix = sp.csr_array(
            (matrix.data.astype(np.int8), matrix.indices, matrix.indptr), shape=matrix.shape
        )
        matrix.has_canonical_format = True
    return matrix


def row_of_each_vote(votes: sp.csr_array) -> Ints:
    """The row index of every stored entry, aligned with ``votes.indices`` and ``votes.data``."""
    return np.repeat(np.arange(votes.shape[0], dtype=np.int64), np.diff(votes.indptr))
