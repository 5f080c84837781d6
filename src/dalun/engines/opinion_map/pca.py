"""Mean-imputed PCA and the sparsity-aware projection (POLIS-METHOD §5.1 and §5.3).

Pol.is replaces each unseen cell by its column's mean, centres every column by that same mean and takes the
first two principal components. After centring, an imputed cell is exactly zero, so the centred matrix has
the sparsity of the votes: ``Y[i, j] = x[i, j] - mean[j]`` on the cast votes and nothing elsewhere. We
never build the dense imputed matrix; the components are the top eigenvectors of ``Y.T @ Y``, found
exactly (LAPACK on the small Gram matrix, or ARPACK's Lanczos on the sparse operator when there are many
statements) where Pol.is runs 100 rounds of power iteration with deflation (``pca.clj`` 38-105). Both aim
at the same vectors; ours are converged. The warm start (previous components) seeds the Lanczos vector
and, as in Pol.is, fixes each component's sign, so that the map does not mirror itself between updates.

Moderated-out statements are 0 for every participant in Pol.is's ``rating-mat`` (§5.1): their column
has no variance, and they count as voted when a participant's projection is scaled (``pca.clj`` 134-157).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.linalg import eigh
from scipy.sparse.linalg import LinearOperator, eigsh

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Components:
    """The PCA of one update: column ``center`` (mean of the cast votes), two unit ``components`` over
    statements (a zero row when the data has fewer dimensions), and the ``eigenvalues`` of ``Y.T @ Y``."""

    center: Floats
    components: Floats
    eigenvalues: Floats


@dataclass(frozen=True, eq=False)
class Columns:
    """Per-statement facts the rest of the computation shares.

    ``voted``: at least one cast vote (Pol.is's matrix has only such columns; ``n_cmts`` counts them).
    ``zeroed``: voted and moderated out, hence 0 for every participant. ``active``: voted, not zeroed.
    """

    voted: Bools
    zeroed: Bools
    active: Bools

    @property
    def n_cmts(self) -> int:
        return int(self.voted.sum())


def columns(votes: sp.csr_array, moderated_out: Bools) -> Columns:
    voted = np.bincount(votes.indices, minlength=votes.shape[1])[: votes.shape[1]] > 0
    zeroed = voted & moderated_out
    return Columns(voted=voted, zeroed=zeroed, active=voted & ~moderated_out)


def column_means(votes: sp.csr_array, cols: Columns) -> Floats:
    """Mean of the non-missing cells of each column of ``rating-mat`` (``conversation.clj`` 355-377)."""
    n = votes.shape[1]
    counts = np.bincount(votes.indices, minlength=n)[:n]
    sums = np.bincount(votes.indices, weights=votes.data.astype(np.float64), minlength=n)[:n]
    means = np.divide(sums, counts, out=np.zeros(n), where=counts > 0)
    means[~cols.active] = 0.0
    return means


def centred(votes: sp.csr_array, center: Floats, cols: Columns) -> sp.csr_array:
    """``Y``: the mean-imputed, centred matrix, stored with the pattern of the votes (imputed cells are 0)."""
    data = votes.data.astype(np.float64) - center[votes.indices]
    data[cols.zeroed[votes.indices]] = 0.0
    matrix = sp.csr_array((data, votes.indices, votes.indptr), shape=votes.shape)
    matrix.has_canonical_format = True
    return matrix


def principal_components(
    y: sp.csr_array,
    center: Floats,
    cols: Columns,
    *,
    previous: Floats | None,
    rng: np.random.Generator,
    dense_limit: int,
) -> Components:
    """The two leading eigenvectors of ``Y.T @ Y`` (``powerit-pca``, ``pca.clj`` 86-105), oriented.

    Without ``previous`` each component's sign makes its largest loading positive, so the result does not
    depend on the random start vector. With ``previous`` (the last update's ``components``, padded with
    zeros for statements added since), the basis of the new plane is rotated or reflected to lie closest
    to the previous one (orthogonal Procrustes). That is what Pol.is's warm-started power iteration does
    in effect, and it matters when the two leading eigenvalues are close: the plane is then well defined
    but its axes are not, and exact eigenvectors would spin the map between updates. The map's geometry
    (distances, hence the clustering) does not depend on this orientation. ``eigenvalues`` stay those of
    the plane's two eigenvectors.
    """
    m = y.shape[1]
    active = np.flatnonzero(cols.active)
    n_comps = min(2, active.size, y.shape[0])
    comps = np.zeros((2, m))
    values = np.zeros(2)
    if n_comps > 0:
        if active.size <= dense_limit:
            sub = y[:, active]
            gram = np.asarray((sub.T @ sub).toarray(), dtype=np.float64)
            w, v = eigh(gram, subset_by_index=[active.size - n_comps, active.size - 1])
            for i in range(n_comps):
                comps[i, active] = v[:, -1 - i]
                values[i] = w[-1 - i]
        else:
            y_t = y.T
            operator = LinearOperator((m, m), matvec=lambda x: y_t @ (y @ x), dtype=np.float64)
            start = np.zeros(m)
            if previous is not None:
                start = previous[0] + previous[1]
            if not np.any(start[active]):
                start[active] = rng.standard_normal(active.size)
            start[~cols.active] = 0.0
            w, v = eigsh(operator, k=n_comps, v0=start, which="LA")
            order = np.argsort(w)[::-1]
            comps[:n_comps] = v[:, order].T
            values[:n_comps] = w[order]
    scale = max(1.0, float(values[0]))
    for i in range(2):
        if values[i] <= 1e-12 * scale:
            comps[i] = 0.0
            values[i] = 0.0
            continue
        comps[i, ~cols.active] = 0.0
        comps[i] /= np.linalg.norm(comps[i])
    if previous is not None and values[1] > 0 and np.all(np.abs(previous).sum(axis=1) > 0):
        # Orthogonal Procrustes: turn the new plane's basis to lie as close as possible to the last one.
        u, _, vt = np.linalg.svd(comps @ previous.T)
        comps = (vt.T @ u.T) @ comps
        return Components(center=center, components=comps, eigenvalues=values)
    for i in range(2):
        if values[i] == 0:
            continue
        reference = previous[i] if previous is not None else None
        if reference is not None and float(reference @ comps[i]) != 0.0:
            flip = float(reference @ comps[i]) < 0
        else:
            flip = comps[i, int(np.argmax(np.abs(comps[i])))] < 0
        if flip:
            comps[i] = -comps[i]
    return Components(center=center, components=comps, eigenvalues=values)


def project_participants(
    y: sp.csr_array, votes: sp.csr_array, rows_of_votes: Ints, pca: Components, cols: Columns
) -> Floats:
    """Sparsity-aware projection (``sparsity-aware-project-ptpt``, ``pca.clj`` 134-157).

    ``p = sqrt(n_cmts / max(n_votes, 1)) * sum over the participant's non-missing cells of
    (x - center) * pc``, where a moderated-out column counts as a non-missing cell for everyone.
    """
    raw = np.asarray(y @ pca.components.T)
    per_row = np.diff(votes.indptr)
    on_zeroed = np.bincount(rows_of_votes[cols.zeroed[votes.indices]], minlength=votes.shape[0])
    n_votes = per_row - on_zeroed + int(cols.zeroed.sum())
    scale = np.sqrt(cols.n_cmts / np.maximum(n_votes, 1))
    return np.ascontiguousarray(raw * scale[:, None])


def project_statements(pca: Components, cols: Columns) -> Floats:
    """Where a virtual participant who agrees with one statement only would sit (``pca.clj`` 167-178).

    Pol.is projects a single database-sign ``-1`` (agree) vote; in our agree = +1 frame that is
    ``sqrt(n_cmts) * (1 - center[j]) * pc[:, j]``. Its length is the statement's *extremity*.
    """
    factor = np.sqrt(cols.n_cmts) * (1.0 - pca.center)
    projection = (pca.components * factor[None, :]).T
    projection[~cols.active] = 0.0
    return np.ascontiguousarray(projection)
