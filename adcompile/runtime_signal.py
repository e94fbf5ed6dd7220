"""Helpers of the rules of rules_signal.py: the gradients of np.gradient, np.convolve and
np.correlate, each the transpose of its stencil. Plain NumPy, like runtime.py, so an exported
derivative can carry them along."""
import numpy as np

from .runtime import _ndim, _real, _shape, outside_rule


def gradient_grad(g, x, axis, edge_order, *spacing):
    """The gradient of np.gradient(x, *spacing, axis=axis) (scalar spacings): for each axis the
    transpose of its stencil, central differences inside, one-sided at the ends (of first or,
    with edge_order=2, second order); a tuple g (one array per axis) sums its axes'
    contributions."""
    if edge_order not in (1, 2) or any(np.ndim(h) > 1 for h in spacing):
        raise outside_rule("np.gradient has a derivative rule for scalar spacings and 1-D "
                           "coordinates")
    n = _ndim(x)
    axes = tuple(range(n)) if axis is None else (axis,) if np.ndim(axis) == 0 else tuple(axis)
    parts = g if isinstance(g, (tuple, list)) else (g,)
    steps = spacing * len(axes) if len(spacing) == 1 else spacing or (1.0,) * len(axes)
    total = 0.0
    for part, a, h in zip(parts, axes, steps):
        if np.ndim(h):  # coordinates along the axis
            total = total + np.moveaxis(_stencil_transposed(
                np.moveaxis(part, a % n, 0), h, edge_order), 0, a % n)
            continue
        v = np.moveaxis(part, a % n, 0) / h
        out = np.zeros_like(v, dtype=np.result_type(v, 1.0))
        out[2:] += v[1:-1] / 2
        out[:-2] -= v[1:-1] / 2
        if edge_order == 1:  # (f1 - f0) / h at the start, (f[-1] - f[-2]) / h at the end
            out[0] -= v[0]
            out[1] += v[0]
            out[-2] -= v[-1]
            out[-1] += v[-1]
        else:  # (-3 f0 + 4 f1 - f2) / 2h, (3 f[-1] - 4 f[-2] + f[-3]) / 2h
            out[0] -= 1.5 * v[0]
            out[1] += 2 * v[0]
            out[2] -= 0.5 * v[0]
            out[-1] += 1.5 * v[-1]
            out[-2] -= 2 * v[-1]
            out[-3] += 0.5 * v[-1]
        total = total + np.moveaxis(out, 0, a % n)
    return total


def spacing_grad(g, ans, h):
    """The gradient of `ans = np.gradient(x, h)` (one axis) for the spacing h, a number: the
    result is proportional to 1 / h."""
    _one_spacing(ans, h)
    return -np.sum(g * ans) / h


def spacing_jvp(t, ans, h):
    """The tangent of `ans = np.gradient(x, h)` (one axis) from the spacing h's tangent t."""
    _one_spacing(ans, h)
    return -ans * (t / h)


def _one_spacing(ans, h):
    if isinstance(ans, (list, tuple)) or np.ndim(h):
        raise outside_rule("np.gradient has a derivative with respect to its spacing for one "
                           "axis (x of one dimension, or axis= one axis) and a number h; the "
                           "coordinates or spacings of several axes are not differentiated")


def _stencil_transposed(v, coordinates, edge_order):
    """The transpose of np.gradient along axis 0 at `coordinates`, applied to v: each entry of
    the result reads at most 3 neighbouring entries (rows 0 and n - 1 those of the window at
    the end), so np.gradient of the three combs `k % 3 == r` gives every row's coefficients,
    column k's being comb k % 3's; each row's v is spread back over its window with them."""
    n = v.shape[0]
    combs = [(np.arange(n) % 3 == r).astype(float) for r in range(3)]
    coef = np.stack([np.gradient(c, coordinates, edge_order=edge_order) for c in combs], axis=1)
    rows = np.arange(n)
    start = np.clip(rows - 1, 0, max(n - 3, 0))
    out = np.zeros_like(v, dtype=np.result_type(v, coef))
    tail = (slice(None),) + (None,) * (v.ndim - 1)
    for d in range(3):
        cols = start + d
        ok = cols < n
        weights = coef[rows[ok], cols[ok] % 3]
        np.add.at(out, cols[ok], v[ok] * weights[tail])
    return out


def _full_length(g, n, m):
    """A gradient of np.convolve(..., mode) put back in place in the 'full' output (zeros where
    'same' or 'valid' cut the full convolution short)."""
    full, size = n + m - 1, _shape(g)[-1]
    if size == full:
        return g
    start = (full - size) // 2
    return np.concatenate([np.zeros_like(g, shape=(start,)), g,
                           np.zeros_like(g, shape=(full - start - size,))])


def convolve_grad_left(g, x, y, mode):
    """The gradient of np.convolve(x, y, mode) with respect to x (real vectors)."""
    _real(x, y)
    return np.correlate(_full_length(g, _shape(x)[-1], _shape(y)[-1]), y, "valid")


def convolve_grad_right(g, x, y, mode):
    """The gradient of np.convolve(x, y, mode) with respect to y (real vectors)."""
    _real(x, y)
    return np.correlate(_full_length(g, _shape(x)[-1], _shape(y)[-1]), x, "valid")


def _correlate_start(n, m, size, mode):
    """Where np.correlate(x, y, mode)'s output (`size` long) starts in the 'full' one: centred,
    except a 'same' window for a y longer than x, which NumPy takes by correlating y with x and
    reversing: it starts ceil((n - 1) / 2) in, one later than np.convolve's for an even n."""
    full = n + m - 1
    return full - size - (n - 1) // 2 if mode == "same" and m > n else (full - size) // 2


def correlate_full(g, x, y, mode):
    """The gradient `g` of np.correlate(x, y, mode) put in place in the 'full' output, zeros
    where the mode cut the full correlation short."""
    n, m = _shape(x)[-1], _shape(y)[-1]
    size = _shape(g)[-1]
    start = _correlate_start(n, m, size, mode)
    return np.concatenate([np.zeros_like(g, shape=(start,)), g,
                           np.zeros_like(g, shape=(n + m - 1 - start - size,))])


def correlate_crop(g, x, y, mode):
    """The part of a 'full' correlation's gradient that np.correlate(x, y, mode) keeps (the
    transpose of correlate_full)."""
    n, m = _shape(x)[-1], _shape(y)[-1]
    size = {"full": n + m - 1, "valid": max(n, m) - min(n, m) + 1}.get(mode, max(n, m))
    start = _correlate_start(n, m, size, mode)
    return g[start:start + size]


def sliding_window_grad(g, x, window_shape, axis):
    """The gradient of np.lib.stride_tricks.sliding_window_view(x, window_shape, axis): each
    entry of x gets the gradients of every window that holds it, an overlap-add: for each offset
    in the window, the windows' entries at that offset (g[..., offset]) added into the slice of x
    they came from, shifted by it. An axis may be windowed more than once (axis=(0, 0))."""
    shape = _shape(x)
    windows = (int(window_shape),) if np.ndim(window_shape) == 0 else tuple(window_shape)
    if axis is None:
        axes = tuple(range(len(shape)))
    else:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        axes = tuple(a % len(shape) for a in axes)
    kept = list(shape)
    for a, w in zip(axes, windows):
        kept[a] -= w - 1
    g = np.asarray(g)
    out = np.zeros(shape, dtype=np.result_type(g, x, 1.0) if np.iscomplexobj(x) else
                   np.result_type(g, 1.0))
    for offset in np.ndindex(*windows):
        start = [0] * len(shape)
        for a, k in zip(axes, offset):
            start[a] += k
        out[tuple(slice(s, s + n) for s, n in zip(start, kept))] += g[(Ellipsis,) + offset]
    return out
