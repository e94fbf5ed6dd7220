"""Helpers of the linear algebra rules (rules_linalg.py): symmetrizing, the F matrices of
eigen- and singular value derivatives, checks that refuse repeated eigenvalues or a rank-deficient
least-squares matrix at run time. Plain NumPy, like runtime.py, so an exported derivative can
carry them along."""
import math

import numpy as np

from .runtime import (_complex, _ndim, _real, _shape, _weak, conj, matmul_grad_left,
                      matmul_grad_right, max_weights, mT, outside_rule, unbroadcast, unreduce,
                      zeros_like)


# (the messages of the checks below: their Numba versions, jit_helpers_linalg, raise them too)
SVD_FULL = ("np.linalg.svd of a matrix that is not square has a derivative only with "
            "full_matrices=False, which drops the extra rows of Vh (columns of U) that span its "
            "null space: they have no unique derivative. For a null vector of A write the "
            "eigenvector of np.linalg.eigh(A.T @ A) of the smallest eigenvalue")
LSTSQ_COMPLEX = ("np.linalg.lstsq's derivative rule holds for real values only; for a complex a "
                 "and b solve the real problem of their parts: lstsq(np.block([[a.real, "
                 "-a.imag], [a.imag, a.real]]), np.concatenate([b.real, b.imag]))")
REPEATED = ("eigenvectors (np.linalg.eigh) or singular vectors (np.linalg.svd) at a repeated "
            "eigenvalue or singular value have no derivative (the gradient of a function of the "
            "eigenvalues or singular values alone is computed there, but not its own "
            "derivative)")
QR_WIDE = ("np.linalg.qr of a matrix with fewer rows than columns: its derivative is supported "
           "for tall or square matrices; differentiate np.linalg.qr(a.T) instead")
LSTSQ_RANK = "np.linalg.lstsq of a matrix without full rank: its solution has no derivative there"


def sym(x):
    """The symmetric part of a real matrix (of each in a stack): (x + x.T) / 2."""
    _real(x)
    return (x + mT(x)) / 2


def phi(x):
    """The lower triangle of a matrix with its diagonal halved (Cholesky's derivative)."""
    return np.tril(x) - np.tril(np.triu(x)) / 2


def skew_lower(x):
    """The strictly lower triangle of x minus its transpose (QR's derivative)."""
    low = np.tril(x, -1)
    return low - mT(low)


def gaps(w):
    """`out[..., i, j] = w[..., j] - w[..., i]`: the differences of eigenvalues or squared
    singular values."""
    return np.expand_dims(w, -2) - np.expand_dims(w, -1)


def inv_offdiag(d):
    """1 / d off the diagonal, 0 on it (the diagonal of `gaps` is 0 by construction)."""
    n = _shape(d)[-1]
    eye = np.eye(n, dtype=bool, like=d)
    return np.where(eye, 0.0, 1 / np.where(eye, 1.0, d))


def over_gaps(m, d):
    """`m / d` off the diagonal, 0 on it and wherever `m` is 0. At a repeated eigenvalue (a gap
    d of 0) the eigenvectors have no derivative (raised when their adjoint or tangent `m` is not
    zero), but a function of the eigenvalues alone still has one: its eigenvector terms (m = 0)
    are left out instead of making 0 / 0."""
    n = _shape(d)[-1]
    nonzero = m != 0
    off = ~np.eye(n, dtype=bool, like=d)
    a = np.abs(d)
    repeated = off & (a <= 8 * np.finfo(np.result_type(a, np.float32)).eps *
                      np.max(a, axis=(-2, -1), keepdims=True))
    if np.any(repeated) and np.any(nonzero):  # the vectors are read: no derivative
        raise outside_rule(REPEATED)
    off = off & nonzero
    return np.where(off, m, 0.0) / np.where(off, d, 1.0)


def diag_embed(v):
    """Vectors (the last axis) as diagonal matrices."""
    n = _shape(v)[-1]
    return np.expand_dims(v, -1) * np.eye(n, dtype=np.result_type(v, 1.0), like=v)


def svd_reduced(m, s):
    """U or Vh of an SVD, checked to be reduced (full_matrices=False, or a square matrix): the
    extra columns of a full U span a space without a unique basis, so they have no derivative."""
    _real(m)
    if min(_shape(m)[-2:]) != _shape(s)[-1]:
        raise outside_rule(SVD_FULL)
    return m


def beyond_span(r, d, q):
    """r / d: the part of a singular vector's derivative outside the span of q (U, or V); 0 for
    a square q, whose span is everything (r is then rounding error, which a zero singular value
    d would turn into NaN where the derivative exists)."""
    shape = _shape(q)
    return zeros_like(r) if shape[-2] == shape[-1] else r / d


def slogdet_tangent(s, tr):
    """The tangent of np.linalg.slogdet(x) = (s, logabsdet) from tr = trace(x^-1 dx):
    (0, tr) for a real x; for a complex x the sign turns, (s * 1j * Im(tr), Re(tr))."""
    if not _complex(tr):
        return zeros_like(s), tr
    return s * (tr - np.conj(tr)) / 2, np.real(tr)


def cho_lower(c, lower):
    """The lower triangular factor L (A = L L^T) that scipy.linalg.cho_factor's `c` holds in its
    lower triangle, or as U = L^T in its upper one."""
    return np.tril(c) if lower else mT(np.triu(c))


def cho_lower_grad(v, lower):
    """The adjoint of cho_lower: `v` moved into the triangle of `c` the factor lives in."""
    return np.tril(v) if lower else np.triu(mT(v))


def cho_other(v, lower):
    """The strict triangle of `v` that cho_factor's `c` leaves as it was in `a`."""
    return np.triu(v, 1) if lower else np.tril(v, -1)


def full_rank(v, rank, a, x):
    """`v`, checked that the matrix `a` has full rank `rank` (np.linalg.lstsq's solution has no
    derivative where the rank can drop) and that the solution `x` is real (the rule's is)."""
    if _complex(x):
        raise outside_rule(LSTSQ_COMPLEX)
    if rank != min(_shape(a)[-2:]):
        raise outside_rule(LSTSQ_RANK)
    return v


def fit_residuals(v, res):
    """`v`, the sums of squared residuals per column, shaped like np.linalg.lstsq's `res`:
    (k,), (1,) for a vector b, or empty where lstsq leaves them out."""
    return np.reshape(v, (-1,)) if _shape(res)[0] else zeros_like(res)


def unfit_residuals(g, v):
    """The adjoint of fit_residuals: `g` shaped like `v` (zeros where lstsq left them out)."""
    return np.reshape(g, _shape(v)) if _shape(g)[0] else np.zeros_like(v)


def real_like(v, x):
    """`v`, or its real part where `x` is real: a real input's tangent or gradient through complex
    intermediates (np.linalg.eig of a real matrix) is real (JAX's convention)."""
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    if kind == "c" or type(x) is complex:
        return v
    return np.real(v)


def distinct_eig(v, w):
    """The eigenvectors `v`, checked that the eigenvalues `w` (the last axis) are distinct: at a
    repeated eigenvalue neither the eigenvectors nor the eigenvalues have a derivative."""
    a = np.abs(w)
    scale = np.max(a, axis=-1, keepdims=True) if _shape(w)[-1] else a
    eps = np.finfo(np.result_type(a, np.float32)).eps
    close = np.abs(gaps(w)) <= 8 * eps * np.expand_dims(scale, -1)
    if np.any(close & ~np.eye(_shape(w)[-1], dtype=bool)):
        raise outside_rule("np.linalg.eig at a matrix with a repeated eigenvalue: the "
                                  "eigenvalues and eigenvectors have no derivative there")
    return v


def eig_pivots(v):
    """1 at the largest entry of each column of `v` (of each matrix in a stack), 0 elsewhere:
    where LAPACK makes an eigenvector real, which fixes its complex phase."""
    a = np.abs(v)
    top = np.argmax(a, axis=-2)
    rows = np.arange(_shape(v)[-2]).reshape(-1, 1)
    return (rows == np.expand_dims(top, -2)).astype(a.dtype)


def column_of(v, b):
    """`v` as np.linalg.solve(a, b) takes a right-hand side: a column (v[..., None]) where b is
    one vector (1-D b: NumPy 2 solves it for each matrix of a stack), else as it is."""
    return np.expand_dims(v, -1) if np.ndim(b) == 1 else v


def uncolumn(v, b):
    """The inverse of column_of: v[..., 0] where b is one vector."""
    return v[..., 0] if np.ndim(b) == 1 else v


def check_field(x, name):
    """`x.name` of a result of np.linalg (slogdet(a).logabsdet), read as its item: Python's
    AttributeError where x has no such field."""
    if not hasattr(x, name):
        raise AttributeError(f"{type(x).__name__!r} object has no attribute {name!r}")


def inner_axes(x, y):
    """The axes np.inner(x, y) sums, as np.tensordot takes them: the last of each, none where
    one is a number (then it is x * y)."""
    return 0 if np.ndim(x) == 0 or np.ndim(y) == 0 else (-1, -1)


def square_r(r):
    """R of np.linalg.qr, checked square: the rule holds for a tall or square matrix; a wide one
    (fewer rows than columns) gives a wide R."""
    if _shape(r)[-2] != _shape(r)[-1]:
        raise outside_rule(QR_WIDE)
    return r


def three_vectors(g, x, y):
    """`g`, checked that np.cross took 3-vectors (kept for derivative code made before as3)."""
    if _shape(x)[-1:] != (3,) or _shape(y)[-1:] != (3,):
        raise outside_rule("np.cross of 2-vectors: its reverse-mode rule is for 3-vectors; "
                           "append a zero to each (np.append(x, 0.0)) and take the last entry")
    return g


def as3(v):
    """Vectors of np.cross as 3-vectors: a 2-vector gets the third entry 0, as NumPy reads it."""
    if _shape(v)[-1] == 3:
        return v
    return np.concatenate((v, np.zeros_like(v[..., :1])), axis=-1)


def from3(v, x):
    """The adjoint of as3: the first entries of 3-vectors `v`, as many as x's vectors have."""
    return v if _shape(x)[-1] == 3 else v[..., :_shape(x)[-1]]


def lift3(v, x, y):
    """The cross product `v` of x and y as 3-vectors: np.cross of two 2-vectors is the third
    entry alone, put back as (0, 0, v)."""
    if _shape(x)[-1] == 3 or _shape(y)[-1] == 3:
        return v
    v = np.expand_dims(v, -1)
    return np.concatenate((np.zeros_like(v), np.zeros_like(v), v), axis=-1)


def drop3(v, x, y):
    """The adjoint of lift3: the third entries of 3-vectors `v` where x and y are 2-vectors."""
    return v if _shape(x)[-1] == 3 or _shape(y)[-1] == 3 else v[..., 2]


def cofactor(x, d):
    """The cofactor matrix of x, det(x) * inv(x).T (`d` is det(x)): the gradient of det, which
    exists where x is singular too (there by the singular value decomposition: x = u s vh gives
    det(u) det(vh) u diag(the product of the other singular values) vh)."""
    try:
        with np.errstate(all="ignore"):
            out = np.expand_dims(d, (-2, -1)) * mT(np.linalg.inv(x))
        if np.all(np.isfinite(out)):
            return out
    except np.linalg.LinAlgError:
        pass
    u, s, vh = np.linalg.svd(x)
    ones = np.ones_like(s[..., :1])  # the product of the other values, with no division
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return np.expand_dims(sign, (-2, -1)) * (u * np.expand_dims(before * after, -2)) @ vh


# --- norms ---------------------------------------------------------------------------------------
def norm_divisor(r):
    """A norm `r` to divide by in its derivative (x / r for the 2-norm, np.hypot's x / ans), with
    1 where r == 0: x is 0 there, so the derivative is the subgradient 0 (PyTorch's choice), not
    0 / 0 = NaN, which reverse mode would multiply into every gradient even where its adjoint is
    0 (a pairwise distance whose zero diagonal is overwritten). r is the reduced norm, so this
    costs one pass over the result, not over x. Python numbers stay Python numbers."""
    if type(r) in (float, int, np.float64, np.float32):  # (a norm of everything: a number)
        return r if r != 0 else 1.0
    if type(r) is np.ndarray and r.all():  # none is 0: no new array (NumPy's; a lazy one
        return r                            # would be computed by the test)
    return np.where(r == 0, 1, r)


def norm_slope(r):
    """norm_divisor's derivative: 1, and NaN where the norm is 0. There the subgradient 0 of
    first derivatives loses the curvature of what follows (the Hessian of |w|**2 at 0 is 2 I,
    of cos|w| -I), which no rule at the point can recover: second derivatives are NaN."""
    if type(r) in (float, int, np.float64, np.float32):
        return 1.0 if r != 0 else math.nan
    return np.where(r == 0, np.nan, 1.0)


def norm_grad(g, x, ans, ord, axis, keepdims):
    """The gradient of np.linalg.norm(x, ord, axis, keepdims): vector p-norms (ord 1, 2, inf, any
    p) and every matrix norm ('fro', 'nuc', 1, -1, 2, -2, inf, -inf)."""
    matrix = (axis is None and np.ndim(x) == 2 or np.ndim(axis) == 1 and len(axis) == 2) \
        and ord is not None
    if matrix and ord != "fro":
        return _matrix_norm_grad(g, x, ans, ord, (0, 1) if axis is None else axis, keepdims)
    r = unreduce(norm_divisor(ans), x, axis, keepdims)
    if ord is None or ord == "fro" or ord == 2:
        w = conj(x) / r
    elif ord == 0:  # the count of nonzero entries: piecewise constant
        w = zeros_like(x)
    elif ord == 1:
        w = conj(np.sign(x))
    elif ord == np.inf or ord == -np.inf:
        w = conj(np.sign(x)) * max_weights(np.abs(x), ans, axis, keepdims)
    else:
        w = conj(np.sign(x)) * (np.abs(x) / r) ** (ord - 1)
    return unreduce(g, x, axis, keepdims) * w


def _matrix_norm_grad(g, x, ans, ord, axis, keepdims):
    """Matrix norms over the two axes `axis`: by the singular vectors for 'nuc', 2 and -2 (the
    largest or smallest singular value), by the column (1, -1) or row (inf, -inf) of largest or
    smallest absolute sum otherwise (ties split evenly, as np.max does)."""
    n = np.ndim(x)
    a1, a2 = axis[0] % n, axis[1] % n
    m = np.moveaxis(x, (a1, a2), (-2, -1))
    if keepdims and np.ndim(g) == n:
        g = np.squeeze(g, axis=(a1, a2))
    g = np.expand_dims(g, (-2, -1))
    if ord in ("nuc", 2, -2):
        u, s, vh = np.linalg.svd(m, full_matrices=False)
        if ord == "nuc":
            out = g * (conj(u) @ conj(vh))
        else:
            k = 0 if ord == 2 else -1
            out = g * (conj(u[..., :, k:k + 1 or None]) @ conj(vh[..., k:k + 1 or None, :]))
    elif ord in (1, -1, np.inf, -np.inf):
        along = -2 if ord in (1, -1) else -1  # column sums (over rows) or row sums
        sums = np.sum(np.abs(m), axis=along, keepdims=True)
        best = np.max(sums, axis=(-2, -1), keepdims=True) if ord > 0 else \
            np.min(sums, axis=(-2, -1), keepdims=True)
        hit = (sums == best).astype(np.result_type(m, 1.0))
        out = g * conj(np.sign(m)) * hit / np.sum(hit, axis=(-2, -1), keepdims=True)
    else:
        raise outside_rule(f"no derivative rule for the matrix norm ord={ord!r}")
    return np.moveaxis(out, (-2, -1), (a1, a2))


def _tensordot_axes(axes, xn, yn):
    if np.ndim(axes) == 0:
        return list(range(xn - axes, xn)), list(range(axes))
    ax, ay = axes
    ax, ay = ([ax] if np.ndim(ax) == 0 else list(ax)), ([ay] if np.ndim(ay) == 0 else list(ay))
    return [a % xn for a in ax], [a % yn for a in ay]


def tensordot_grad_left(g, x, y, axes):
    """The gradient of np.tensordot(x, y, axes) with respect to `x`."""
    xn, yn = np.ndim(x), np.ndim(y)
    ax, ay = _tensordot_axes(axes, xn, yn)
    free_x = [i for i in range(xn) if i not in ax]
    free_y = [j for j in range(yn) if j not in ay]
    out = np.tensordot(_weak(g, y), y, axes=(list(range(len(free_x), np.ndim(g))), free_y))
    order = free_x + [ax[ay.index(j)] for j in sorted(ay)]
    return np.transpose(out, np.argsort(order))


def tensordot_grad_right(g, x, y, axes):
    """The gradient of np.tensordot(x, y, axes) with respect to `y`."""
    xn, yn = np.ndim(x), np.ndim(y)
    ax, ay = _tensordot_axes(axes, xn, yn)
    free_x = [i for i in range(xn) if i not in ax]
    free_y = [j for j in range(yn) if j not in ay]
    out = np.tensordot(x, _weak(g, x), axes=(free_x, list(range(len(free_x)))))
    order = [ay[ax.index(i)] for i in sorted(ax)] + free_y
    return np.transpose(out, np.argsort(order))


def dot_grad_left(g, x, y):
    """The gradient of `np.dot(x, y)` with respect to `x`. Up to 2-D np.dot is `x @ y`; beyond,
    it sums the last axis of x against the second-to-last of y (not matmul's stacking)."""
    xn, yn = _ndim(x), _ndim(y)
    if xn == 0 or yn == 0:
        return unbroadcast(g * y, x)
    if xn <= 2 and yn <= 2:
        return matmul_grad_left(g, x, y)
    return tensordot_grad_left(g, x, y, ([-1], [max(yn - 2, 0)]))


def dot_grad_right(g, x, y):
    """The gradient of `np.dot(x, y)` with respect to `y` (see dot_grad_left)."""
    xn, yn = _ndim(x), _ndim(y)
    if xn == 0 or yn == 0:
        return unbroadcast(g * x, y)
    if xn <= 2 and yn <= 2:
        return matmul_grad_right(g, x, y)
    return tensordot_grad_right(g, x, y, ([-1], [max(yn - 2, 0)]))
