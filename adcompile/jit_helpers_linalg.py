"""Numba implementations of the helpers that the rules of np.linalg (runtime_linalg.py, mT of
runtime.py), of sorting (take_along_axis_grad) and of quantiles (runtime_stats.py) call, for
`adcompile.jit`: typers as in jit_helpers. Numba's np.linalg takes one matrix (no stacks) and
its np.quantile no axis, so these cover those cases; other types get no implementation (jit's
JitError names the helper and the user's line)."""
from __future__ import annotations

import math

import numpy as np

from . import runtime, runtime_arrays, runtime_linalg, runtime_stats
from .errors import OutsideRuleError
from .jit_refusals import refusal


def _array(x, t):
    return isinstance(x, t.Array)


def _float_array(x, t):
    return _array(x, t) and isinstance(x.dtype, t.Float)


def _absent(arg, t):
    """An argument given as None or left out."""
    return arg is None or isinstance(arg, (t.NoneType, t.Omitted))


def _false(arg, t):
    return arg is False or isinstance(arg, t.Omitted) or \
        isinstance(arg, t.BooleanLiteral) and arg.literal_value is False


# -- linear algebra --------------------------------------------------------------------------

def _mT(t):
    def typer(x):
        if _array(x, t) and x.ndim == 2:
            return lambda x: x.T
        if _array(x, t) and x.ndim > 2:
            return lambda x: np.swapaxes(x, -1, -2)
    return typer


def _matrix(body):
    """A typer of a helper of one real matrix (and a flag `lower`, when `body` takes two):
    `body` for a float array of two axes, no implementation otherwise (a stack, a complex one:
    jit refuses at the user's line)."""
    def make(t):
        def typer(x):
            if _float_array(x, t) and x.ndim == 2:
                return body

        def flagged(x, lower):
            if _float_array(x, t) and x.ndim == 2:
                return body
        return flagged if body.__code__.co_argcount == 2 else typer
    return make


def _sym(x):  # runtime_linalg.sym
    return (x + x.T) / 2


def _phi(x):  # runtime_linalg.phi: the lower triangle, its diagonal halved
    return np.tril(x) - np.tril(np.triu(x)) / 2


def _skew_lower(x):  # runtime_linalg.skew_lower
    low = np.tril(x, -1)
    return low - low.T


# (named x, lower as _matrix's typer: Numba refuses an implementation named otherwise)
def _cho_lower(x, lower):  # runtime_linalg.cho_lower
    return np.tril(x) if lower else np.ascontiguousarray(np.triu(x).T)


def _cho_lower_grad(x, lower):  # runtime_linalg.cho_lower_grad
    return np.tril(x) if lower else np.triu(np.ascontiguousarray(x.T))


def _cho_other(x, lower):  # runtime_linalg.cho_other
    return np.triu(x, 1) if lower else np.tril(x, -1)


def _column_of(t):
    def typer(v, b):
        if _array(v, t) and _array(b, t):
            if b.ndim == 1:
                return lambda v, b: np.expand_dims(v, -1)
            return lambda v, b: v
    return typer


def _uncolumn(t):
    def typer(v, b):
        if _array(v, t) and _array(b, t) and v.ndim >= 1:
            if b.ndim == 1:
                return lambda v, b: v[..., 0]
            return lambda v, b: v
    return typer


def _cofactor(t):
    def typer(x, d):
        if _float_array(x, t) and x.ndim == 2 and isinstance(d, t.Float):
            return _cofactor_of
    return typer


def _cofactor_of(x, d):
    """runtime_linalg.cofactor of one matrix: det(x) inv(x).T, else by the SVD (singular x)."""
    try:
        out = np.ascontiguousarray(d * np.linalg.inv(x).T)
        if np.all(np.isfinite(out)):
            return out
    except Exception:  # (a singular matrix: LinAlgError)
        pass
    u, s, vh = np.linalg.svd(x)
    ones = np.ones(1)
    before = np.cumprod(np.concatenate((ones, s[:-1])))
    after = np.cumprod(np.concatenate((ones, s[:0:-1])))[::-1]
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return np.ascontiguousarray(sign * ((u * (before * after)) @ vh))


def _diag_embed(t):
    """runtime_linalg.diag_embed of one vector: the diagonal matrix (Numba's linalg takes no
    stacks of matrices, so no stacked vectors reach it)."""
    def typer(v):
        if _array(v, t) and v.ndim == 1:
            return lambda v: np.diag(v)
    return typer


def _complex_array(x, t):
    return _array(x, t) and isinstance(x.dtype, t.Complex)


def _real_matrix(numba, t):
    """runtime.real_matrix: a real matrix itself; a complex one refused as the Python helper
    refuses it (the type decides, when Numba compiles)."""
    complex_input = refusal(numba, OutsideRuleError, "real_matrix", runtime.REAL_ONLY)

    def typer(x):
        if _complex_array(x, t):
            def refused(x):
                complex_input()
                return x
            return refused
        if _array(x, t):
            return lambda x: x
    return typer


def _svd_reduced(numba, t):
    """runtime_linalg.svd_reduced: U or Vh of a reduced SVD (one matrix), refused where it is a
    full one of a matrix that is not square, or complex, as the Python helper refuses it."""
    complex_input = refusal(numba, OutsideRuleError, "svd_reduced", runtime.REAL_ONLY)
    full = refusal(numba, OutsideRuleError, "svd_reduced", runtime_linalg.SVD_FULL)

    def typer(m, s):
        if not (_array(m, t) and m.ndim == 2 and _array(s, t) and s.ndim == 1):
            return None
        if _complex_array(m, t):
            def refused(m, s):
                complex_input()
                return m
            return refused

        def impl(m, s):
            if min(m.shape[0], m.shape[1]) != s.shape[0]:
                full()
            return m
        return impl
    return typer


def _full_rank(numba, t):
    """runtime_linalg.full_rank: `v`, refused where lstsq's matrix `a` (one) has not full rank, or
    its solution `x` is complex, as the Python helper refuses it."""
    complex_input = refusal(numba, OutsideRuleError, "full_rank", runtime_linalg.LSTSQ_COMPLEX)
    dropped = refusal(numba, OutsideRuleError, "full_rank", runtime_linalg.LSTSQ_RANK)

    def typer(v, rank, a, x):
        if not (_array(a, t) and a.ndim == 2 and isinstance(rank, t.Integer)):
            return None
        if _complex_array(x, t) or isinstance(x, t.Complex):
            def refused(v, rank, a, x):
                complex_input()
                return v
            return refused

        def impl(v, rank, a, x):
            if rank != min(a.shape[0], a.shape[1]):
                dropped()
            return v
        return impl
    return typer


def _square_r(numba, t):
    """runtime_linalg.square_r: R of a tall or square matrix's QR; a wide one's refused."""
    wide = refusal(numba, OutsideRuleError, "square_r", runtime_linalg.QR_WIDE)

    def typer(r):
        if _array(r, t) and r.ndim == 2:
            def impl(r):
                if r.shape[0] != r.shape[1]:
                    wide()
                return r
            return impl
    return typer


def _gaps(t):
    """runtime_linalg.gaps of one vector: out[i, j] = w[j] - w[i]."""
    def typer(w):
        if _array(w, t) and w.ndim == 1:
            def impl(w):
                n = w.shape[0]
                return np.ascontiguousarray(w).reshape((1, n)) - \
                    np.ascontiguousarray(w).reshape((n, 1))
            return impl
    return typer


def _inv_offdiag(t):
    """runtime_linalg.inv_offdiag of one matrix: 1 / d off the diagonal, 0 on it."""
    def typer(d):
        if _float_array(d, t) and d.ndim == 2:
            def impl(d):
                out = np.zeros(d.shape, d.dtype)
                for i in range(d.shape[0]):
                    for j in range(d.shape[1]):
                        if i != j:
                            out[i, j] = 1 / d[i, j]
                return out
            return impl
    return typer


def _over_gaps(numba, t):
    """runtime_linalg.over_gaps of one matrix m and gaps d of its shape: m / d off the diagonal,
    0 on it and where m is 0; refused at a repeated eigenvalue where m is read, as in Python."""
    repeated = refusal(numba, OutsideRuleError, "over_gaps", runtime_linalg.REPEATED)

    def typer(m, d):
        if not (_array(m, t) and m.ndim == 2 and _float_array(d, t) and d.ndim == 2):
            return None
        from numba.np.numpy_support import as_dtype
        tol = 8 * np.finfo(np.result_type(as_dtype(d.dtype), np.float32)).eps

        def impl(m, d):
            n = d.shape[0]
            if m.shape[0] != n or m.shape[1] != n or d.shape[1] != n:
                raise ValueError("adcompile.jit: over_gaps of matrices of other shapes")
            top = np.max(np.abs(d)) if d.size else 0.0
            close, read = False, False
            for i in range(n):
                for j in range(n):
                    close = close or i != j and abs(d[i, j]) <= tol * top
                    read = read or m[i, j] != 0
            if close and read:  # (the vectors are read: no derivative)
                repeated()
            out = np.zeros_like(m / 1.0)
            for i in range(n):
                for j in range(n):
                    if i != j and m[i, j] != 0:
                        out[i, j] = m[i, j] / d[i, j]
            return out
        return impl
    return typer


def _beyond_span(t):
    """runtime_linalg.beyond_span: r / d, 0 for a square q (one matrix)."""
    def typer(r, d, q):
        if _array(r, t) and _array(d, t) and _array(q, t) and q.ndim == 2:
            def impl(r, d, q):
                out = r / d
                return np.zeros_like(out) if q.shape[0] == q.shape[1] else out
            return impl
    return typer


def _fit_residuals(t):
    """runtime_linalg.fit_residuals: `v` (a number, or a row) as lstsq's residuals `res`."""
    def typer(v, res):
        if not (_array(res, t) and res.ndim == 1):
            return None
        if isinstance(v, (t.Float, t.Integer)):
            return lambda v, res: np.full(1, v, res.dtype) if res.shape[0] else \
                np.zeros_like(res)
        if _array(v, t):
            return lambda v, res: np.ascontiguousarray(v).reshape(-1).astype(res.dtype) \
                if res.shape[0] else np.zeros_like(res)
    return typer


def _unfit_residuals(t):
    """runtime_linalg.unfit_residuals: the adjoint `g` of lstsq's residuals shaped like `v` (a
    number, or a row), zeros where lstsq left them out."""
    def typer(g, v):
        if not (_array(g, t) and g.ndim == 1):
            return None
        if isinstance(v, t.Float):
            return lambda g, v: g[0] if g.shape[0] else 0.0 * v
        if _array(v, t):
            return lambda g, v: np.ascontiguousarray(g).reshape(v.shape).astype(v.dtype) \
                if g.shape[0] else np.zeros_like(v)
    return typer


def _expand_dims(t):
    """np.expand_dims of a number by a tuple of axes (det's rule: a matrix of one entry) or by
    one (np.trapezoid's rule: a vector of one entry); Numba's own takes an array."""
    def typer(a, axis):
        if isinstance(a, (t.Float, t.Integer)) and isinstance(axis, t.Integer):
            return lambda a, axis: np.full((1,), a)
        if isinstance(a, (t.Float, t.Integer)) and isinstance(axis, t.UniTuple) and \
                isinstance(axis.dtype, t.Integer):
            shape = (1,) * axis.count
            return lambda a, axis: np.full(shape, a)
    return typer


# -- norms whose kind (vector or matrix) the rule could not tell: norm_grad ---------------------

def _norm_grad(t):
    """runtime_linalg.norm_grad: vector norms of every order (of a vector, or along an integer
    axis), the Frobenius norm and the matrix norms of orders 1, -1, inf, -inf, 2, -2."""
    def typer(g, x, ans, ord, axis, keepdims):
        if not _float_array(x, t):
            return None
        number, none = isinstance(ord, (t.Integer, t.Float)), _absent(ord, t)
        if (x.ndim == 1 and _absent(axis, t) or isinstance(axis, t.Integer)) and number:
            return _vector_norm_grad
        if none or isinstance(ord, (t.UnicodeType, t.StringLiteral)):  # (2-norm, 'fro')
            return lambda g, x, ans, ord, axis, keepdims: runtime.unreduce(
                g, x, axis, keepdims) * x / runtime.unreduce(
                    runtime_linalg.norm_divisor(ans), x, axis, keepdims)
        if x.ndim == 2 and _absent(axis, t) and number:
            return _matrix_norm_grad
    return typer


def _vector_norm_grad(g, x, ans, ord, axis, keepdims):
    gx = runtime.unreduce(g, x, axis, keepdims)
    if ord == 0:  # (the count of nonzero entries: piecewise constant)
        return gx * 0.0
    if ord == 1:
        return gx * np.sign(x)
    r = runtime.unreduce(runtime_linalg.norm_divisor(ans), x, axis, keepdims)
    if ord == 2:
        return gx * x / r
    if np.isinf(ord):  # (the largest or smallest |x|, ties split evenly)
        return gx * np.sign(x) * runtime.max_weights(np.abs(x), ans, axis, keepdims)
    return gx * np.sign(x) * (np.abs(x) / r) ** (ord - 1.0)


def _matrix_norm_grad(g, x, ans, ord, axis, keepdims):
    gx = runtime.unreduce(g, x, axis, keepdims)
    if ord == 2 or ord == -2:  # (the largest or smallest singular value: u_k v_k^T)
        u, s, vh = np.linalg.svd(x, False)
        k = 0 if ord == 2 else s.size - 1
        return gx * np.outer(u[:, k], vh[k, :])
    if not (ord == 1 or ord == -1 or np.isinf(ord)):
        raise ValueError("Invalid norm order for matrices.")
    columns = ord == 1 or ord == -1  # (the column of largest or smallest absolute sum; inf: rows)
    sums = np.abs(x).sum(axis=0) if columns else np.abs(x).sum(axis=1)
    best = sums.max() if ord > 0 else sums.min()
    hits = np.sum(sums == best)
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            hit = sums[j] == best if columns else sums[i] == best
            out[i, j] = np.sign(x[i, j]) / hits if hit else 0.0
    return gx * out


# -- sorting, take_along_axis ------------------------------------------------------------------

def _take_along_axis_grad(t):
    def typer(g, x, indices, axis):
        if not (_float_array(g, t) and _float_array(x, t) and g.dtype == x.dtype and
                _array(indices, t) and isinstance(indices.dtype, t.Integer)):
            return None
        if _absent(axis, t) and g.ndim == 1 and indices.ndim == 1:
            def flat(g, x, indices, axis):
                out = np.zeros(x.size, g.dtype)
                for j in range(g.size):
                    k = indices[j]
                    out[k + x.size if k < 0 else k] += g[j]
                return out.reshape(x.shape)
            return flat
        if isinstance(axis, t.Integer) and g.ndim == x.ndim == indices.ndim:
            return _along
    return typer


def _along(g, x, indices, axis):
    """take_along_axis_grad along an axis, with indices of g's shape and g of x's but along
    the axis (Numba's np.take_along_axis broadcasts no more)."""
    n = x.ndim
    ax = axis % n
    before, after = 1, 1
    for k in range(n):
        if k != ax and (g.shape[k] != x.shape[k] or indices.shape[k] != g.shape[k]):
            raise ValueError("adcompile.jit: the gradient of np.take_along_axis with indices "
                             "broadcast against the array is not compiled; pass indices of "
                             "the array's shape (np.broadcast_to) or run without jit")
        if k < ax:
            before *= x.shape[k]
        elif k > ax:
            after *= x.shape[k]
    m, taken = x.shape[ax], g.shape[ax]
    gs = np.ascontiguousarray(g).reshape((before, taken, after))
    at = np.ascontiguousarray(indices).reshape((before, taken, after))
    out = np.zeros((before, m, after), g.dtype)
    for a in range(before):
        for j in range(taken):
            for b in range(after):
                k = at[a, j, b]
                out[a, k + m if k < 0 else k, b] += gs[a, j, b]
    return out.reshape(x.shape)


# -- quantiles (over the whole array: Numba's np.quantile takes no axis) -------------------------

def _quantile_weights(t):
    def typer(x, q, axis):
        if not (_float_array(x, t) and _absent(axis, t)):
            return None
        if isinstance(q, (t.Float, t.Integer)):
            return lambda x, q, axis: _weights(x, np.full(1, float(q))).reshape(x.shape)
        if _array(q, t) and isinstance(q.dtype, (t.Float, t.Integer)):
            return lambda x, q, axis: _weights(x, q.astype(np.float64).ravel()).reshape(
                q.shape + x.shape)
    return typer


def _weights(x, qs):
    """runtime_stats.quantile_weights of x flattened, for each of the quantiles qs: rows."""
    flat = x.ravel()
    m = flat.size
    ranks = np.empty(m, np.int64)  # each entry's place in order (ties: first come first)
    ranks[np.argsort(flat, kind="mergesort")] = np.arange(m)
    out = np.zeros((qs.size, m), x.dtype)
    for i in range(qs.size):
        position = qs[i] * (m - 1)
        low = min(max(int(math.floor(position)), 0), max(m - 1, 0))
        high = min(low + 1, m - 1)
        frac = position - low
        for j in range(m):
            a = 1 - frac if ranks[j] == low else 0.0
            b = frac if ranks[j] == high else 0.0
            out[i, j] = a + b
    return out


def _quantile_spread(t):
    def typer(v, w, x, axis, keepdims):
        if not (_float_array(w, t) and _array(x, t) and _absent(axis, t) and
                _false(keepdims, t)):
            return None
        if isinstance(v, (t.Float, t.Integer)) and w.ndim == x.ndim:
            return lambda v, w, x, axis, keepdims: v * w
        if _array(v, t) and w.ndim == x.ndim + v.ndim:
            def spread(v, w, x, axis, keepdims):
                rows = np.ascontiguousarray(w).reshape((v.size, x.size))
                vs = np.ascontiguousarray(v).ravel()
                out = np.zeros(x.size, rows.dtype)
                for i in range(v.size):
                    out = out + vs[i] * rows[i]
                return out.reshape(x.shape)
            return spread
    return typer


# -- np.cross of 3-vectors (Numba's np.cross takes no 2-vectors, so as3 and friends have
# nothing to add or drop: checked, the vectors passed through) ---------------------------------

def _three(n):
    """(Compiled as it is, for the implementations below.)"""
    if n != 3:
        raise ValueError("adcompile.jit: np.cross of 2-vectors is not supported (Numba's "
                         "np.cross takes 3-vectors); run it without jit")


def _as3(t):
    def typer(v):
        if _array(v, t):
            def impl(v):
                _three(v.shape[-1])
                return v
            return impl
    return typer


def _from3(t):
    def typer(v, x):
        if _array(v, t) and _array(x, t):
            def impl(v, x):
                _three(x.shape[-1])
                return v
            return impl
    return typer


def _lift3(t):  # (drop3 as well: of 3-vectors, v itself)
    def typer(v, x, y):
        if _array(v, t) and _array(x, t) and _array(y, t) and v.ndim == max(x.ndim, y.ndim):
            def impl(v, x, y):
                _three(max(x.shape[-1], y.shape[-1]))
                return v
            return impl
    return typer


# -- scipy.linalg.solve_triangular (Numba has no scipy.linalg) -----------------------------------

def _solve_triangular(t):
    """scipy.linalg.solve_triangular(a, b, trans, lower, unit_diagonal) of one real matrix a: the
    triangle of a that SciPy reads (its diagonal ones when unit_diagonal) solved by
    np.linalg.solve, transposed for trans 1 or 'T' (a real matrix: 'C' too)."""
    def typer(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
              check_finite=True):
        if not (_float_array(a, t) and a.ndim == 2 and _float_array(b, t) and b.ndim in (1, 2)):
            return None
        if isinstance(trans, t.Integer):
            flip = _transposed_int
        elif isinstance(trans, (t.UnicodeType, t.StringLiteral)):
            flip = _transposed
        elif isinstance(trans, (t.Omitted, int)):  # (left out: its default, 0)
            flip = _transposed_int
        else:
            return None

        def impl(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                 check_finite=True):
            m = np.tril(a) if lower else np.triu(a)
            if unit_diagonal:
                for i in range(min(m.shape[0], m.shape[1])):
                    m[i, i] = 1.0
            if flip(trans):
                m = np.ascontiguousarray(m.T)
            return np.linalg.solve(m, np.ascontiguousarray(b))
        return impl
    return typer


def _transposed(trans):
    """(Compiled as it is.) Whether solve_triangular's `trans`, a letter, asks for a^T x = b."""
    if trans == "N":
        return False
    if trans == "T" or trans == "C":
        return True
    raise ValueError("incorrect value for trans")


def _transposed_int(trans):
    """(Compiled as it is.) Whether solve_triangular's `trans`, a number, asks for a^T x = b."""
    if trans == 0:
        return False
    if trans == 1 or trans == 2:
        return True
    raise ValueError("incorrect value for trans")


def _cho_factor(t):
    """scipy.linalg.cho_factor(a, lower) of a real matrix: (c, lower), c the Cholesky factor in
    the triangle SciPy writes and a's own entries in the other, as SciPy returns them."""
    def typer(a, lower=False, overwrite_a=False, check_finite=True):
        if not (_float_array(a, t) and a.ndim == 2) or not isinstance(lower, (
                t.Boolean, t.Integer, t.Omitted, bool)):
            return None

        def impl(a, lower=False, overwrite_a=False, check_finite=True):
            factor = np.linalg.cholesky(np.ascontiguousarray(a))
            if lower:
                return np.tril(factor) + np.triu(a, 1), True
            return np.ascontiguousarray(factor.T) + np.tril(a, -1), False

        def upper(a, lower=False, overwrite_a=False, check_finite=True):  # (lower left out)
            factor = np.linalg.cholesky(np.ascontiguousarray(a))
            return np.ascontiguousarray(factor.T) + np.tril(a, -1), False
        return upper if isinstance(lower, (t.Omitted, bool)) else impl
    return typer


def _cho_solve(t):
    """scipy.linalg.cho_solve((c, lower), b) of a real factor: b solved with c's triangle, then
    with its transpose (np.linalg.solve of the triangles, as solve_triangular's version)."""
    def typer(c_and_lower, b, overwrite_b=False, check_finite=True):
        if not (isinstance(c_and_lower, t.BaseTuple) and len(c_and_lower) == 2 and
                _float_array(c_and_lower[0], t) and c_and_lower[0].ndim == 2 and
                isinstance(c_and_lower[1], (t.Boolean, t.Integer)) and _float_array(b, t) and
                b.ndim in (1, 2)):
            return None

        def impl(c_and_lower, b, overwrite_b=False, check_finite=True):
            c, lower = c_and_lower
            low = np.tril(c) if lower else np.ascontiguousarray(np.triu(c).T)
            y = np.linalg.solve(low, np.ascontiguousarray(b))
            return np.linalg.solve(np.ascontiguousarray(low.T), y)
        return impl
    return typer


def _scipy_helpers():
    try:
        import scipy.linalg
    except ImportError:  # (SciPy is optional: without it no code calls these)
        return {}
    return {scipy.linalg.solve_triangular: _solve_triangular,
            scipy.linalg.cho_factor: _cho_factor, scipy.linalg.cho_solve: _cho_solve}


def helpers(numba):
    """{helper: overload typer} of this module's helpers."""
    return {
        runtime_linalg.as3: _as3,
        runtime_linalg.from3: _from3,
        runtime_linalg.lift3: _lift3,
        runtime_linalg.drop3: _lift3,
        _three: lambda t: lambda n: _three,
        **_scipy_helpers(),
        _transposed: lambda t: lambda trans: _transposed,
        _transposed_int: lambda t: lambda trans: _transposed_int,
        runtime.mT: _mT,
        runtime_linalg.sym: _matrix(_sym),
        runtime_linalg.phi: _matrix(_phi),
        runtime_linalg.skew_lower: _matrix(_skew_lower),
        runtime_linalg.cho_lower: _matrix(_cho_lower),
        runtime_linalg.cho_lower_grad: _matrix(_cho_lower_grad),
        runtime_linalg.cho_other: _matrix(_cho_other),
        runtime_linalg.column_of: _column_of,
        runtime_linalg.uncolumn: _uncolumn,
        runtime_linalg.cofactor: _cofactor,
        runtime_linalg.diag_embed: _diag_embed,
        runtime.real_matrix: lambda t: _real_matrix(numba, t),
        runtime_linalg.svd_reduced: lambda t: _svd_reduced(numba, t),
        runtime_linalg.full_rank: lambda t: _full_rank(numba, t),
        runtime_linalg.square_r: lambda t: _square_r(numba, t),
        runtime_linalg.over_gaps: lambda t: _over_gaps(numba, t),
        runtime_linalg.gaps: _gaps,
        runtime_linalg.inv_offdiag: _inv_offdiag,
        runtime_linalg.beyond_span: _beyond_span,
        runtime_linalg.fit_residuals: _fit_residuals,
        runtime_linalg.unfit_residuals: _unfit_residuals,
        np.expand_dims: _expand_dims,
        runtime_arrays.take_along_axis_grad: _take_along_axis_grad,
        runtime_linalg.norm_grad: _norm_grad,
        _vector_norm_grad: lambda t: lambda g, x, ans, ord, axis, keepdims: _vector_norm_grad,
        _matrix_norm_grad: lambda t: lambda g, x, ans, ord, axis, keepdims: _matrix_norm_grad,
        runtime_stats.quantile_weights: _quantile_weights,
        runtime_stats.quantile_spread: _quantile_spread,
        _cofactor_of: lambda t: lambda x, d: _cofactor_of,
        _along: lambda t: lambda g, x, indices, axis: _along,
        _weights: lambda t: lambda x, qs: _weights,
    }
