"""Helpers of the rules for NumPy's rearrangements (roll, diag, pad, kron, take, diff, ...)
and a few elementwise ones (sinc's derivatives, astype): the reverse rule of each rearrangement
puts the gradient back where the values came from. Also the gradient of a matrix that a loop
multiplies at every step, as one product after the loop (batch.py). Plain NumPy, like
runtime.py, so an exported derivative can carry them along."""
import math

import numpy as np

from .runtime import (TupleGrad, _complex, _kind, _may_alias, _ndim, _numpy, _part, _parts,
                      _shape, conj, cumsum_grad, getitem_grad, list_add, matmul_grad_left,
                      matmul_grad_right, outside_rule, phase_jvp, phase_vjp, real_part,
                      sign, unbroadcast, unreduce, written, zeros_like)


def unroll(g, shift, axis):
    """The gradient of np.roll(x, shift, axis): g rolled back."""
    back = -shift if np.ndim(shift) == 0 else tuple(-s for s in shift)
    return np.roll(g, back, axis=axis)


def diag_grad(g, x, k):
    """The gradient of np.diag(x, k): the diagonal of g for a vector x; for a matrix x, g put on
    x's k-th diagonal (x need not be square)."""
    if _ndim(x) == 1:
        return np.diag(g, k)
    return diagonal_grad(g, x, k, 0, 1)


def diagonal_grad(g, x, offset, axis1, axis2):
    """The gradient of np.diagonal(x, offset, axis1, axis2): g on that diagonal, 0 elsewhere."""
    shape, n = _shape(x), _ndim(x)
    a1, a2 = axis1 % n, axis2 % n
    rest = [s for i, s in enumerate(shape) if i not in (a1, a2)]
    out = np.zeros_like(x, shape=tuple(rest) + (shape[a1], shape[a2]), dtype=np.result_type(x, g))
    d = np.arange(_shape(g)[-1], like=x)
    out[..., d + max(-offset, 0), d + max(offset, 0)] = g
    return np.moveaxis(out, (-2, -1), (a1, a2))


def untranspose(g, axes):
    """The gradient of np.transpose(x, axes): g with x's order of axes restored (the axes read
    modulo g's ndim, as np.transpose reads negative ones)."""
    n = _ndim(g)
    return np.transpose(g, np.argsort([a % n for a in axes]))


def unrollaxis(g, axis, start):
    """The gradient of np.rollaxis(x, axis, start): g with x's order of axes restored."""
    n = _ndim(g)
    axis, start = axis % n, start + n if start < 0 else start
    order = list(range(n))
    if axis < start:
        start -= 1
    order.remove(axis)
    order.insert(start, axis)
    return np.transpose(g, np.argsort(order))


def padding(v, x, pad_width):
    """What np.pad(x, pad_width, constant_values=v) puts around x, zeros where x is: linear in
    v (NumPy's forms of v: a number, or one per axis and side), in x's dtype as np.pad's."""
    return np.pad(np.zeros_like(x), pad_width, constant_values=v)


def padding_grad(g, c, x, pad_width):
    """The gradient of `padding(c, x, pad_width)` for c, a number: the sum of g where the padding
    is, none where the padded array is of integers (c rounded). (c given per axis and side: no
    rule here.)"""
    if np.ndim(c) != 0:
        raise outside_rule("np.pad with constant_values given per axis or side has no "
                           "derivative rule for them; give one number, or pad each axis with "
                           "its own np.pad")
    if _kind(x) not in ("f", "c"):
        return 0.0 * np.sum(g)
    return np.sum(g) - np.sum(unpad(g, x, pad_width, "constant"))


def unpad(g, x, pad_width, mode):
    """The gradient of np.pad(x, pad_width, mode): the middle of g for mode "constant"; for modes
    that copy entries of x ("edge", "reflect", "symmetric", "wrap") each copy's gradient is added
    back to the entry it came from."""
    shape = _shape(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(shape), 2))
    if mode == "constant":
        return g[tuple(slice(int(b), int(b) + s) for (b, _), s in zip(widths, shape))]
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise outside_rule(f"no derivative rule for np.pad with mode={mode!r}")
    size = math.prod(shape)
    source = np.pad(np.reshape(np.arange(size), shape), pad_width, mode=mode)
    out = np.bincount(np.ravel(source), np.ravel(g), minlength=size)
    return np.reshape(out.astype(np.result_type(g, x), copy=False), shape)


def _kron_axes(x, y):
    n = max(_ndim(x), _ndim(y))
    xs = (1,) * (n - _ndim(x)) + tuple(_shape(x))
    ys = (1,) * (n - _ndim(y)) + tuple(_shape(y))
    return n, xs, ys


def kron_grad_left(g, x, y):
    """The gradient of np.kron(x, y) with respect to x: g cut into blocks shaped like y, each
    block's inner product with y."""
    n, xs, ys = _kron_axes(x, y)
    blocks = np.reshape(g, [s for pair in zip(xs, ys) for s in pair])
    out = np.tensordot(blocks, np.reshape(y, ys), axes=(list(range(1, 2 * n, 2)), list(range(n))))
    return np.reshape(out, _shape(x))


def kron_grad_right(g, x, y):
    """The gradient of np.kron(x, y) with respect to y."""
    n, xs, ys = _kron_axes(x, y)
    blocks = np.reshape(g, [s for pair in zip(xs, ys) for s in pair])
    out = np.tensordot(np.reshape(x, xs), blocks, axes=(list(range(n)), list(range(0, 2 * n, 2))))
    return np.reshape(out, _shape(y))


def column_stack_part(g, i, *xs):
    """The piece of `g` that np.column_stack(xs) took from xs[i] (a vector is one column)."""
    return _part(g, i, [np.shape(x)[1] if np.ndim(x) >= 2 else 1 for x in xs], 1,
                 np.shape(xs[i]))


def column_stack_grad(g, xs):
    """The gradients of the parts of np.column_stack(xs), xs a list built at run time."""
    return _parts(column_stack_part, g, xs)


def dstack_part(g, i, *xs):
    """The piece of `g` that np.dstack(xs) took from xs[i]."""
    return _part(g, i, [np.shape(x)[2] if np.ndim(x) >= 3 else 1 for x in xs], 2,
                 np.shape(xs[i]))


def dstack_grad(g, xs):
    """The gradients of the parts of np.dstack(xs), xs a list built at run time."""
    return _parts(dstack_part, g, xs)


def take_grad(g, x, indices, axis):
    """The gradient of np.take(x, indices, axis): g added into zeros at the taken places."""
    if type(indices) in (list, tuple):  # (a sequence would index several axes)
        indices = np.array(indices)
    if axis is None:
        return np.reshape(getitem_grad(g, np.reshape(x, (-1,)), indices), _shape(x))
    return getitem_grad(g, x, (slice(None),) * (axis % _ndim(x)) + (indices,))


def take_along_axis_grad(g, x, indices, axis):
    """The gradient of np.take_along_axis(x, indices, axis): g added into zeros at the taken
    places (repeated indices add up)."""
    if axis is None:
        return np.reshape(take_along_axis_grad(g, np.reshape(x, (-1,)), indices, 0), _shape(x))
    shape = _shape(g)  # (indices broadcast against x: g has the shape of both)
    axis = axis % len(shape)
    index = tuple(np.broadcast_to(indices, shape) if k == axis else np.reshape(
        np.arange(n), (1,) * k + (n,) + (1,) * (len(shape) - k - 1)) for k, n in enumerate(shape))
    return getitem_grad(g, x, index)


def cumulative_sum_grad(v, x, axis, include_initial):
    """The gradient of np.cumulative_sum(x, axis, include_initial): each entry gets the sum of
    the gradients of the partial sums that include it, a cumulative sum taken from the end (with
    include_initial, the leading partial sum 0 includes no entry)."""
    axis = 0 if axis is None else axis % _ndim(x)  # (axis None: x is 1-D)
    if include_initial:
        v = v[(slice(None),) * axis + (slice(1, None),)]
    return np.flip(np.cumsum(np.flip(v, axis), axis=axis), axis)


def max_initial(x, initial, axis=None, keepdims=False):
    """np.max(x, axis, keepdims=keepdims, initial=initial): `initial` where x (or an axis) is
    empty. An array library whose max has no initial= gets np.maximum of the two."""
    if _numpy(x):
        return np.max(x, axis=axis, keepdims=keepdims, initial=initial)
    return np.maximum(np.max(x, axis=axis, keepdims=keepdims), initial)


def min_initial(x, initial, axis=None, keepdims=False):
    """np.min(x, axis, keepdims=keepdims, initial=initial); see max_initial."""
    if _numpy(x):
        return np.min(x, axis=axis, keepdims=keepdims, initial=initial)
    return np.minimum(np.min(x, axis=axis, keepdims=keepdims), initial)


def _hits(x, ans, axis, keepdims):
    hit = (x == unreduce(ans, x, axis, keepdims)).astype(np.result_type(x, 1.0))
    return hit, np.sum(hit, axis=axis, keepdims=True)


def initial_weights(x, ans, axis, keepdims):
    """max_weights of max_initial: 1 / (number of ties) where x attains `ans`, 0 elsewhere and
    all along an axis where the initial value won (no entry attains it, or there is none)."""
    hit, count = _hits(x, ans, axis, keepdims)
    return hit / np.maximum(count, 1)


def initial_won(x, ans, axis, keepdims):
    """1 where max_initial's `ans` is its initial value alone (no entry of x attains it: a tie
    goes to x, as np.maximum's rule gives it), else 0: the derivative in the initial value."""
    count = _hits(x, ans, axis, keepdims)[1]
    return (np.reshape(count, _shape(ans)) == 0).astype(count.dtype)


def initial_dropped(v, axis, include_initial):
    """v without its first entry along `axis` (0 for None: a 1-D x) where include_initial: the
    part of np.cumulative_prod's gradient (or tangent's adjoint) that depends on x."""
    if not include_initial:
        return v
    return v[(slice(None),) * (0 if axis is None else axis % _ndim(v)) + (slice(1, None),)]


def initial_padded(t, axis, include_initial):
    """t with a zero first along `axis` where include_initial: the tangent of np.cumulative_prod,
    whose leading 1 is a constant (the transpose of initial_dropped)."""
    if not include_initial:
        return t
    axis = 0 if axis is None else axis % _ndim(t)
    zero = np.zeros_like(t, shape=tuple(1 if k == axis else s for k, s in enumerate(_shape(t))))
    return np.concatenate([zero, t], axis=axis)


def diff_grad(g, n, axis):
    """The gradient of np.diff(x, n, axis): n times the negated difference of g padded by zeros."""
    for _ in range(n):
        shape = _shape(g)
        zero = np.zeros_like(g, shape=tuple(  # one slice of zeros, in g's dtype
            1 if k == axis % len(shape) else s for k, s in enumerate(shape)))
        g = -np.diff(g, axis=axis, prepend=zero, append=zero)
    return g


def average_grad(g, x, axis, weights, keepdims):
    """The gradient of np.average(x, axis, weights): g spread by the normalized weights."""
    if weights is None:
        return unreduce(g, x, axis, keepdims) * (np.size(g) / np.size(x))
    n = _ndim(x)
    if _ndim(weights) != n:  # a 1-D weights along axis
        weights = np.reshape(weights, [-1 if k == axis % n else 1 for k in range(n)])
    weights = np.broadcast_to(weights, _shape(x))
    return unreduce(g, x, axis, keepdims) * (weights / np.sum(weights, axis=axis, keepdims=True))


def select_grad(g, condlist, choicelist):
    """The gradients of np.select(condlist, choicelist, default) with respect to each choice and
    the default: g where that choice was taken (the first true condition), 0 elsewhere."""
    taken, out = False, []
    for c, x in zip(condlist, choicelist):
        here = np.logical_and(c, np.logical_not(taken))
        out.append(unbroadcast(np.where(here, g, 0.0), x))
        taken = np.logical_or(taken, c)
    return out, np.where(taken, 0.0, g)


def dsinc(x):
    """The derivative of np.sinc(x) = sin(pi x) / (pi x): (cos(pi x) - sinc(x)) / x, from its
    Taylor series near 0 where that formula cancels."""
    small = np.abs(x) < 1e-3
    safe = np.where(small, 1.0, x)
    p2 = math.pi ** 2
    return np.where(small, x * (-p2 / 3 + p2 * p2 / 30 * x * x),
                    (np.cos(math.pi * safe) - np.sinc(safe)) / safe)


def d2sinc(x):
    """The second derivative of np.sinc(x): -(pi ** 2 sinc(x) + 2 dsinc(x) / x)."""
    small = np.abs(x) < 1e-3
    safe = np.where(small, 1.0, x)
    p2 = math.pi ** 2
    return np.where(small, -p2 / 3 + p2 * p2 / 10 * x * x,
                    -(p2 * np.sinc(safe) + 2 * dsinc(safe) / safe))


PYTHON_NUMBERS = (float, int, complex)


def times_pow(t, x, e):
    """t * x ** e, 0 where t == 0: a zero tangent (or adjoint) through the slope of a power,
    infinite at x == 0 for e < 0, gives 0 (rules.py). Python floats refuse 0.0 ** e for e < 0:
    where t is not 0 that is an error at the user's line. Python numbers stay Python numbers
    (complex ones too: Python's (-2.0) ** -0.5 is complex, NumPy's NaN)."""
    if type(t) in PYTHON_NUMBERS and type(x) in PYTHON_NUMBERS and type(e) in (float, int):
        if t == 0:
            return 0.0
        try:
            return t * x ** e
        except ZeroDivisionError:
            raise _infinite_slope(x, e) from None
    return t * np.where(t == 0, 1.0, x) ** e


def _infinite_slope(x, e):
    from adcompile.errors import InfiniteSlopeError, at_generated_caller
    return at_generated_caller(InfiniteSlopeError(
        f"the derivative of a power x ** y is infinite where x == 0 and y < 1 ({x!r} ** {e!r} "
        f"in its rule, which Python floats refuse); to differentiate it there as 0, write "
        f"`x ** {e + 1!r} if x > 0 else 0.0`"))


def recip_or_zero(x):
    """1 / x, and 0 where x == 0: the derivative of pow_dy's log(x), 0 at a zero base as that
    log is, at every order (its derivative is -ans ** 2)."""
    if type(x) is float or type(x) is int:
        return 1 / x if x != 0 else 0.0
    return np.where(x == 0, 0.0, 1 / np.where(x == 0, 1.0, x))


def sorted_order(xs, reverse):
    """The places of xs's items in sorted(xs, reverse=reverse): the same comparisons, the same
    stable order (ties keep theirs)."""
    return sorted(range(len(xs)), key=xs.__getitem__, reverse=reverse)


def best_place(keys, largest):
    """The place of the first greatest (largest) or least of keys, as max(xs, key=f) and
    min(xs, key=f) keep the first (a ValueError for none, as theirs)."""
    return (max if largest else min)(range(len(keys)), key=keys.__getitem__)


def gap(x, y):
    """x - y, and 0 where x == y (two infinities of one sign, whose difference is NaN): the
    weights of np.logaddexp are sigmoid(gap(x, y)), one half where x == y, as along x == y."""
    if type(x) is float and type(y) is float:
        return 0.0 if x == y else x - y
    same = np.equal(x, y)
    return np.where(same, 0.0, x) - np.where(same, 0.0, y)


def xdivy(x, y):
    """x / y, and 0 where x == 0 (TensorFlow's xdivy): the derivative of scipy.special.xlogy(x, y)
    in y, 0 where x == 0 as xlogy(0, y) is 0 for every y, y == 0 included."""
    if type(x) is float and type(y) is float:
        if x == 0:
            return 0.0
        return x / y if y != 0 else math.copysign(math.inf, x) * math.copysign(1.0, y)
    return np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, y))


def sinc_derivative(n, x):
    """The n-th derivative of np.sinc(x) (n >= 1): near 0 from its Taylor series, the sum over
    j of (-1) ** j pi ** 2j x ** (2j - n) / ((2j + 1) (2j - n)!); elsewhere by the recurrence
    x f(k) = pi ** (k - 1) sin(pi x + k pi / 2) - k f(k - 1), from x sinc(x) = sin(pi x) / pi."""
    small = np.abs(x) < 1
    safe = np.where(small, 1.0, x)
    f = np.sinc(safe)
    for k in range(1, n + 1):
        f = (math.pi ** (k - 1) * np.sin(math.pi * safe + k * math.pi / 2) - k * f) / safe
    z = np.where(small, x, 0.0)
    series = 0.0
    for j in range((n + 1) // 2, (n + 1) // 2 + 24):  # (pi z) ** 40 / 40! is below 1e-28
        series = series + (-1) ** j * math.pi ** (2 * j) / ((2 * j + 1) * math.factorial(
            2 * j - n)) * z ** (2 * j - n)
    return np.where(small, series, f)


def astype(x, dtype):
    """`x.astype(dtype)`."""
    return x.astype(dtype)


def astype_like(v, like):
    """`v` in `like`'s dtype: the gradient of x.astype(dtype), in x's dtype (a helper, not
    astype(g, x.dtype), so that it is differentiated again without reading a dtype)."""
    dtype = getattr(like, "dtype", None)
    if dtype is None or not hasattr(v, "astype"):
        return v
    if v.dtype.kind == "c" and dtype.kind != "c":  # (a real value's adjoint is its real part)
        v = v.real
    return v.astype(dtype)


def real_sign(x):
    """np.sign(x) of a differentiated x: piecewise constant for a real x (derivative 0); of a
    complex x it is x / |x| (NumPy 2), refused."""
    if type(x) is not float and _complex(x):
        raise outside_rule("np.sign(z) of a complex z is z / |z|, whose derivative is not taken "
                           "through np.sign: write z / np.abs(z)")
    return np.sign(x)


def abs_vjp(g, x):
    """The adjoint of x from abs(x): g * sign(x); for a complex x, Re(g) * conj(x / |x|) (the
    adjoint g of the real |x| is complex where |x| met a complex number: its real part counts)."""
    if type(x) is float:
        return g * (1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0)
    return (real_part(g) if _complex(x) else g) * sign(x)


def sign_vjp(g, x, w):
    """The adjoint of x from w = sign(x) (abs's derivative): 0 for a real x; for a complex x,
    w = conj(phase(x)): phase_vjp of the conjugate adjoint."""
    if type(x) is float or not _complex(x):
        return zeros_like(x)
    return phase_vjp(conj(g), x, conj(w))


def sign_jvp(t, x, w):
    """The tangent of w = sign(x): 0 for a real x, conj(phase_jvp) for a complex x."""
    if type(x) is float or not _complex(x):
        return zeros_like(x)
    return conj(phase_jvp(t, x, conj(w)))


# --- the gradient of a matrix a loop multiplies at every step, as one product (batch.py) ------
def matmul_steps_left(steps, x):
    """sum(matmul_grad_left(g, x, y) for g, y in steps): the gradient of a matrix x that each
    step of a loop multiplied (x @ y), as one product of the steps' stacked factors; step by
    step where they do not stack."""
    if type(x) is np.ndarray and x.ndim == 2 and steps:
        n, m = x.shape
        if all(_vector(g, n) and _vector(y, m) for g, y in steps):  # (n, T) @ (T, m)
            return np.stack([g for g, _ in steps], axis=1) @ np.stack([y for _, y in steps])
        if all(_columns(g, n) and _columns(y, m) and g.shape[1] == y.shape[1] for g, y in steps):
            return np.concatenate([g for g, _ in steps], axis=1) @ \
                np.concatenate([y for _, y in steps], axis=1).T
    return _step_by_step(matmul_grad_left, steps, x, 1)


def matmul_steps_right(steps, y):
    """sum(matmul_grad_right(g, x, y) for g, x in steps): the gradient of a matrix y that each
    step of a loop multiplied (x @ y), as one product; step by step where they do not stack."""
    if type(y) is np.ndarray and y.ndim == 2 and steps:
        m, k = y.shape
        if all(_vector(g, k) and _vector(x, m) for g, x in steps):  # (m, T) @ (T, k)
            return np.stack([x for _, x in steps], axis=1) @ np.stack([g for g, _ in steps])
        if all(_rows(g, k) and _rows(x, m) and g.shape[0] == x.shape[0] for g, x in steps):
            return np.concatenate([x for _, x in steps]).T @ np.concatenate([g for g, _ in steps])
    return _step_by_step(matmul_grad_right, steps, y, 2)


def _vector(v, n):
    return type(v) is np.ndarray and v.shape == (n,)


def _columns(v, n):
    return type(v) is np.ndarray and v.ndim == 2 and v.shape[0] == n


def _rows(v, n):
    return type(v) is np.ndarray and v.ndim == 2 and v.shape[1] == n


def _step_by_step(helper, steps, matrix, where):
    total = None
    for g, other in steps:
        term = helper(g, matrix, other) if where == 1 else helper(g, other, matrix)
        total = term if total is None else total + term
    return zeros_like(matrix) if total is None else total


# --- construction and shape functions (rules_arrays.py) -----------------------------------------
def positions(x):
    """Each entry's place in x, flattened: where np.delete, np.insert, np.resize, ... move an
    entry, applied to positions(x), says where its gradient comes from. Integers: no derivative."""
    return np.reshape(np.arange(math.prod(_shape(x))), _shape(x))


def nowhere(x):
    """-1 shaped like x: entries that come from elsewhere (the values np.insert puts in)."""
    return np.full(_shape(x), -1)


def gather_at(v, source):
    """The entries of v at the flat positions `source` (0 where source is -1): a rearrangement's
    tangent, for source = the rearrangement applied to positions(x)."""
    flat = np.reshape(v, (-1,))
    return np.where(source >= 0, flat[np.maximum(source, 0)], 0)


def scatter_to(g, source, x):
    """The adjoint of gather_at: each entry of g added to the place of x it came from (an entry
    copied twice gets both gradients); shaped like x."""
    keep = source >= 0
    out = np.zeros_like(x, shape=(math.prod(_shape(x)),), dtype=np.result_type(x, g))
    np.add.at(out, source[keep], np.broadcast_to(g, _shape(source))[keep])
    return np.reshape(out, _shape(x))


def mesh_shape(i, n, indexing):
    """The shape np.meshgrid gives its i-th of n inputs before broadcasting it: -1 on its axis."""
    axis = 1 - i if indexing == "xy" and n > 1 and i < 2 else i
    return tuple(-1 if k == axis else 1 for k in range(n))


def block(arrays):
    """np.block of nested lists or tuples (generated code writes a list as a tuple)."""
    def lists(item):
        return [lists(part) for part in item] if isinstance(item, (list, tuple)) else item
    return np.block(lists(arrays))


def block_grad(g, arrays):
    """The gradient of np.block(arrays): g cut into blocks shaped like the (nested) arrays."""
    depth = 0
    first = arrays
    while isinstance(first, (list, tuple)):
        depth, first = depth + 1, first[0]
    n = _ndim(g)

    def leaf(item):
        while isinstance(item, (list, tuple)):
            item = item[0]
        return (1,) * (n - _ndim(item)) + tuple(_shape(item))

    def cut(v, item, level):
        if not isinstance(item, (list, tuple)):
            return np.reshape(v, _shape(item))
        axis = n - depth + level
        bounds = np.cumsum([leaf(part)[axis] for part in item])[:-1]
        return [cut(piece, part, level + 1)
                for piece, part in zip(np.split(v, bounds, axis=axis), item)]
    return cut(g, arrays, 0)


def choose_grad(g, a, choices, mode):
    """The gradients of np.choose(a, choices, mode=mode) for each choice: g where a picks it."""
    n = len(choices)
    a = np.mod(a, n) if mode == "wrap" else np.clip(a, 0, n - 1) if mode == "clip" else a
    out = [unbroadcast(np.where(a == k, g, 0.0), c) for k, c in enumerate(choices)]
    return out if type(choices) in (list, tuple) else np.stack(out)


def trim_positions(x, trim, axis):
    """positions(x) trimmed as np.trim_zeros(x, trim, axis) trims x: its leading ('f') and
    trailing ('b') zeros along each axis. The cut is piecewise constant in x."""
    n = _ndim(x)
    axes = range(n) if axis is None else [a % n for a in np.atleast_1d(axis)]
    nonzero = x != 0
    index = [slice(None)] * n
    for a in axes:
        hits = np.flatnonzero(np.any(nonzero, axis=tuple(k for k in range(n) if k != a)))
        if not hits.size:
            index[a] = slice(0, 0)
            continue
        start = int(hits[0]) if "f" in trim.lower() else 0
        stop = int(hits[-1]) + 1 if "b" in trim.lower() else _shape(x)[a]
        index[a] = slice(start, stop)
    return positions(x)[tuple(index)]


def ediff1d_part(g, k, ary, to_end, to_begin):
    """The gradient of np.ediff1d(ary, to_end, to_begin) for operand k (0: ary, 1: to_end,
    2: to_begin): its piece of g, shaped like it (for ary, np.diff's gradient of the middle)."""
    begin = 0 if to_begin is None else math.prod(np.shape(to_begin))
    end = _shape(g)[0] - (0 if to_end is None else math.prod(np.shape(to_end)))
    if k == 0:
        return np.reshape(diff_grad(g[begin:end], 1, -1), _shape(ary))
    return np.reshape(g[end:] if k == 1 else g[:begin], np.shape(to_end if k == 1 else to_begin))


def poly_tail(v, a):
    """The last len(a) coefficients of v: the gradient of np.polyadd(a, b) in a."""
    n = _shape(a)[0]
    return v[_shape(v)[0] - n:]


def poly_full(g, a1, a2):
    """g with leading zeros to np.convolve(a1, a2)'s length: the gradient of np.polymul(a1, a2),
    which drops the leading zeros of a1 and a2 (and so of its result)."""
    n = _shape(a1)[0] + _shape(a2)[0] - 1 - _shape(g)[0]
    return np.concatenate((np.zeros_like(g, shape=(n,)), g)) if n else g


def polyder_grad(g, p, m):
    """The gradient of np.polyder(p, m) in p: each derivative's adjoint, last first."""
    n = _shape(p)[0]
    for length in reversed([n - j for j in range(m) if n - j > 0]):
        g = np.concatenate((g * np.arange(length - 1, 0, -1), np.zeros_like(g, shape=(1,))))
    return g


def polyint_grad(g, m):
    """The gradient of np.polyint(p, m, k) in p: each integral's adjoint, last first."""
    for _ in range(m):
        g = g[:-1] / np.arange(_shape(g)[0] - 1, 0, -1)
    return g


def polyint_constants(g, m):
    """The gradients of np.polyint's m integration constants (the first integral's first)."""
    out = []
    for _ in range(m):
        out.append(g[-1])
        g = g[:-1] / np.arange(_shape(g)[0] - 1, 0, -1)
    return np.stack(out[::-1])


def polyint_of_constants(g, v, m):
    """The adjoint of polyint_constants(v, m): np.polyint of zeros with the constants g."""
    return np.polyint(np.zeros_like(v, shape=(_shape(v)[0] - m,)), m, g)


def held_in(v, x):
    """`v` as the array `x` holds it once stored there (`x[i] = v`): unchanged where x holds
    floating-point or complex numbers (or is a list), zero where it holds integers or booleans,
    which round v to a piecewise constant. The derivative of v through the store."""
    kind = getattr(getattr(x, "dtype", None), "kind", "f")
    return v if kind in "fc" else zeros_like(v)


def zero_at(x, index):
    """`x` with zeros at `index`: the adjoint of x in `x[index] = v`, whose part there was
    overwritten. In a list, zeros shaped like the item (a row of a list of lists)."""
    if isinstance(x, (list, tuple)):
        return written(x, index, zeros_like(x[index]))
    return written(x, index, 0.0)


def take_indices(indices, x, axis, mode):
    """The indices np.take(x, indices, axis, mode=mode) takes: wrapped around (mode="wrap") or
    clipped to the axis (mode="clip", which reads a negative index as 0); as given ("raise")."""
    n = np.size(x) if axis is None else _shape(x)[axis]
    if mode == "wrap":
        return np.mod(indices, n)
    if mode == "clip":
        return np.clip(indices, 0, n - 1)
    if mode == "raise":
        return indices
    raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")


# --- forms lowered as other calls (lower/forms.py) ------------------------------------------------
def item(x):
    """x.item(): the one entry of an array (or NumPy number) as a Python number; a Python number
    (a tangent or adjoint that is a plain zero) as it is."""
    return x.item() if hasattr(x, "item") else x


def along(v, x, axis):
    """np.diff's prepend=/append= value `v` as NumPy puts it at an end of x: a number spread to
    x's shape with length 1 along `axis`; an array as it is."""
    if _ndim(v) == 0:
        shape = list(_shape(x))
        shape[axis] = 1
        return np.broadcast_to(v, tuple(shape))
    return v


def add_at(a, index, b):
    """np.add.at(a, index, b) on a copy of a: b added at each position, repeated ones again."""
    out = np.array(a, copy=True)
    np.add.at(out, index, b)
    return out


def _diagonal(shape, wrap):
    """np.fill_diagonal's positions, as a slice of the flat array."""
    if len(shape) == 2:
        return slice(None, None if wrap else shape[1] * shape[1], shape[1] + 1)
    return slice(None, None, 1 + int(np.cumprod(shape[:-1]).sum()))


def filled_diagonal(a, val, wrap):
    """np.fill_diagonal(a, val, wrap) on a copy of a (val repeated along the diagonal)."""
    out = np.array(a, copy=True)
    np.fill_diagonal(out, val, wrap=wrap)
    return out


def diagonal_sum(v, val, wrap):
    """The gradient of filled_diagonal in val: v's diagonal, each entry added to the entry of
    val it was filled with (val repeats along a longer diagonal)."""
    d = np.ravel(v)[_diagonal(_shape(v), wrap)]
    if _ndim(val) == 0:
        return np.sum(d)
    m = math.prod(_shape(val))
    folded = np.zeros(m, dtype=np.result_type(d, 0.0))
    np.add.at(folded, np.arange(d.size) % m, d)
    return np.reshape(folded, _shape(val))


def list_unrepeat(g, xs, n):
    """The gradient of `xs * n` (a list repeated n times) for xs: the sum of the n pieces of the
    list gradient `g` that each copy of xs took, element by element."""
    size = len(xs)
    total = zeros_like(list(xs))
    for k in range(max(n, 0)):
        total = list_add(total, list(g[k * size:(k + 1) * size]))
    return total


def rows_grad(g, x):
    """The gradient of `list(x)` (or tuple(x)) for x: the rows' gradients stacked back into x's
    shape (a zero placeholder, a number, for all of them); the list itself for a list x."""
    if isinstance(x, (list, tuple)):
        return list(g) if isinstance(g, (list, tuple)) else g
    if not isinstance(g, (list, tuple)):
        return g + zeros_like(x)
    row = np.shape(x)[1:]
    return np.stack([np.broadcast_to(r, row) for r in g]) if len(g) else zeros_like(x)


def check_list_sort(x):
    """Generated code's check before `x.sort(key=...)` of a value made at run time, which sorts
    it as a list: Python's own TypeError where x is not one (an array's .sort takes no key)."""
    if not isinstance(x, list):
        raise TypeError(f"{type(x).__name__}.sort() got an unexpected keyword argument 'key'")


def check_sortable(x):
    """Generated code's check before `sorted(x)` of an array, made np.sort's values: Python
    compares the items, numbers for one dimension; rows of more raise (or sort by other
    rules), so those are refused at the user's line."""
    if np.ndim(x) != 1:
        from adcompile.errors import UnsupportedSyntaxError, at_generated_caller
        raise at_generated_caller(UnsupportedSyntaxError(
            f"sorted() of an array of {np.ndim(x)} dimensions is not supported (only "
            "of one, whose items are numbers); sort with np.sort(x, axis=...)"))


def list_join(x, y):
    """The tangent of `a + b` of lists (or tuples): the tangents of a and b side by side, a list
    (a TupleGrad's own `+` adds element by element)."""
    return [*x, *y]


def check_not_count(n, where):
    """Generated code's stand-in for `xs * n`, xs a list built at run time and n a name: fine
    where n is an array or a float (NumPy multiplies element by element), an error where n is
    an integer (a repetition, whose count flat code does not know). (`where`: the product.)"""
    if isinstance(n, (int, np.integer)) and not isinstance(n, bool):
        from adcompile.errors import UnsupportedSyntaxError, at_generated_caller
        raise at_generated_caller(UnsupportedSyntaxError(
            f"{where}: a list built at run time repeated a number of times known only at run "
            "time is not supported; repeat it a number of times written in the code (xs * 2), "
            "or build the repeated list in a loop"))


def prod_others(x, axis):
    """For each entry of `x`, the product of the other entries along `axis` (every entry for
    None), from products to its left and right: no division, so a zero factor is fine."""
    shape = np.shape(x)
    if axis is None:
        return np.reshape(prod_others(np.reshape(x, (-1,)), 0), shape)
    axes = [a % len(shape) for a in ((axis,) if np.ndim(axis) == 0 else axis)]
    order = [i for i in range(len(shape)) if i not in axes] + axes
    moved = np.transpose(x, order)
    flat = np.reshape(moved, np.shape(moved)[:len(shape) - len(axes)] + (-1,))
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], axis=-1),
                               axis=-1), -1)
    return np.transpose(np.reshape(left * right, np.shape(moved)), np.argsort(order))


def prod_others_tangent(x, t, axis):
    """The derivative of prod_others(x, axis) along t: for each entry i, the sum over the other
    entries j of t_j times the product of the entries other than i and j."""
    return prod_others_tangents(x, axis, t)


def prod_others_tangents(x, axis, *ts):
    """The m-th derivative of prod_others(x, axis) along t_1 ... t_m (m = len(ts)): for each
    entry i, the sum over distinct other entries j_1 ... j_m of t_1[j_1] ... t_m[j_m] times the
    product of the entries other than i and the j's. Each factor is x_k + e_1 t_1[k] + ... with
    e_r ** 2 = 0: from the products to the left and right of i, one coefficient for each set of
    e's (a mask), a step along the axis at a time; no division, so a zero factor is fine. Its
    tensor is symmetric in i and the j's, so its rules are itself with one more direction."""
    shape = np.shape(x)
    ts = [np.broadcast_to(t, shape) for t in ts]
    if axis is None:
        return np.reshape(prod_others_tangents(np.reshape(x, (-1,)), 0, *(
            np.reshape(t, (-1,)) for t in ts)), shape)
    axes = [a % len(shape) for a in ((axis,) if np.ndim(axis) == 0 else axis)]
    order = [i for i in range(len(shape)) if i not in axes] + axes
    moved = np.shape(np.transpose(x, order))
    xs, *ts = (np.reshape(np.transpose(a, order), moved[:len(shape) - len(axes)] + (-1,))
               for a in (x, *ts))
    n, full = xs.shape[-1], 2 ** len(ts) - 1
    dtype = np.result_type(xs, *ts)
    left = [np.ones(xs.shape, dtype) if m == 0 else np.zeros(xs.shape, dtype)
            for m in range(full + 1)]
    right = [a.copy() for a in left]
    bits = [(m, [(m ^ 1 << r, r) for r in range(len(ts)) if m >> r & 1]) for m in range(full + 1)]
    for i in range(n - 1):
        j = n - 1 - i
        for m, less in bits:
            left[m][..., i + 1] = left[m][..., i] * xs[..., i] + sum(
                left[k][..., i] * ts[r][..., i] for k, r in less)
            right[m][..., j - 1] = right[m][..., j] * xs[..., j] + sum(
                right[k][..., j] * ts[r][..., j] for k, r in less)
    out = sum(left[m] * right[full ^ m] for m in range(full + 1))
    return np.transpose(np.reshape(out, moved), np.argsort(order))


def check_fits(x, out, name):
    """Generated code's check of `name += ...` (any operator) on an array x: NumPy writes the
    result into x, so it raises where the result has another shape (x of shape () plus a row)
    or a dtype x cannot hold (floats into ints); flat code makes a new array, and checks."""
    if not isinstance(x, np.ndarray):
        return
    if getattr(out, "shape", ()) != x.shape:
        raise ValueError(f"non-broadcastable output operand with shape {x.shape} doesn't match "
                         f"the broadcast shape {np.shape(out)} (`{name} <op>= ...` writes into "
                         f"{name})")
    if getattr(out, "dtype", None) is not x.dtype and \
            not np.can_cast(np.result_type(out), x.dtype, "same_kind"):
        raise TypeError(f"cannot write the {np.result_type(out)} result of `{name} <op>= ...` "
                        f"into {name}, an array of {x.dtype} (NumPy's casting rule 'same_kind')")


def check_item_not_changed(x, method, where, name, others, advice, *values):
    """check_not_in_place of `name`, a loop's name for an item of a list (`for p, g in
    zip(params, grads): p -= lr * g`): Python changes the list's item and every name holding
    the array. `advice`: what to write instead, in the user's names."""
    if not hasattr(type(x), method) or values and not any(_may_alias(v, x) for v in values):
        return
    from adcompile.errors import UnsupportedSyntaxError, at_generated_caller
    raise at_generated_caller(UnsupportedSyntaxError(
        f"{name}, a loop's name for an item of a list, is changed in place, and {others} holds "
        f"the same array: Python changes it there too, generated code cannot. To change the "
        f"arrays, {advice}; or make a new one ({name} = {name} - ...), which leaves them as "
        "they are."))


def _cumprod_lanes(x, axis, arrays):
    """x and `arrays` (shaped like x, or broadcast to it) with np.cumprod's axis last (flattened
    for None), and the function that puts a result of that shape back."""
    shape = np.shape(x)
    if axis is None:  # (v is flat already: np.cumprod's result)
        flat = (np.size(x),)
        return [a if np.shape(a) == flat else np.reshape(np.broadcast_to(a, shape), flat)
                for a in (x, *arrays)], lambda out: out
    flat = [np.moveaxis(np.broadcast_to(a, shape), axis, -1) for a in (x, *arrays)]
    return flat, lambda out: np.moveaxis(out, -1, axis)


def _dual_step(run, xs, ts, k):
    """`run`, coefficients of a product of factors x_j + e_1 t_1[j] + ... (e_r ** 2 = 0), one
    per set of e's (a mask), times factor k of the last axis. No division: zeros are fine."""
    return [run[m] * xs[..., k] + sum(run[m ^ 1 << r] * ts[r][..., k]
                                      for r in range(len(ts)) if m >> r & 1)
            for m in range(len(run))]


def cumprod_jvp(x, axis, *vs):
    """The m-th derivative of np.cumprod(x, axis) along vs (m = len(vs) >= 1): for each entry
    k, the sum over distinct j_1 ... j_m <= k of vs[0][j_1] ... vs[m-1][j_m] times the product
    of the other entries up to k. One direction and no zero in x: np.cumsum(v / x) * cumprod."""
    if len(vs) == 1 and np.all(np.not_equal(x, 0)):
        return np.cumsum(vs[0] / x, axis=axis) * np.cumprod(x, axis=axis)
    (xs, *ts), back = _cumprod_lanes(x, axis, vs)
    full = 2 ** len(ts) - 1
    out = np.zeros(np.broadcast_shapes(xs.shape, *(t.shape for t in ts)),
                   np.result_type(xs, *ts))
    run = [np.ones(xs.shape[:-1], out.dtype)] + [np.zeros(xs.shape[:-1], out.dtype)] * full
    for k in range(xs.shape[-1]):
        run = _dual_step(run, xs, ts, k)
        out[..., k] = run[full]
    return back(out)


def cumprod_vjp(v, x, axis, *ts):
    """The transpose of cumprod_jvp(x, axis, e, *ts) in e, applied to v (the gradient of
    np.cumprod with no ts): entry i gets the sum over k >= i of v[k] times the derivative of
    the product up to k in x_i, as (product before i) * S_i, S_i = v_i + x_{i+1} S_{i+1}."""
    if not ts and np.all(np.not_equal(x, 0)):
        return cumsum_grad(v * np.cumprod(x, axis=axis), x, axis) / x
    (xs, v, *ts), back = _cumprod_lanes(x, axis, (v, *ts))
    full, n = 2 ** len(ts) - 1, xs.shape[-1]
    out = np.zeros(np.broadcast_shapes(xs.shape, v.shape), np.result_type(xs, v, *ts))
    before = [[np.ones(out.shape[:-1], out.dtype)] + [np.zeros(out.shape[:-1], out.dtype)] * full]
    for k in range(n - 1):
        before.append(_dual_step(before[-1], xs, ts, k))
    after = [v[..., n - 1]] + [np.zeros(out.shape[:-1], out.dtype)] * full
    for i in range(n - 1, -1, -1):
        if i < n - 1:  # S_i = v_i + f_{i+1} S_{i+1}
            after = _dual_step(after, xs, ts, i + 1)
            after[0] = after[0] + v[..., i]
        out[..., i] = sum(before[i][m] * after[full ^ m] for m in range(full + 1))
    out = back(out)
    return np.reshape(out, np.shape(x)) if axis is None else out


# --- np.stack of a list (np.array of a list: its rows) --------------------------------------------
def stack_grad(g, xs, axis):
    """The gradients of the parts of np.stack(xs, axis): g indexed along `axis` (a 0-d g, grad's
    seed of an output refused later, is each's; an array xs, stacked by rows, gets an array)."""
    if type(xs) not in (list, tuple):  # (np.array(x) of an array x: a copy)
        return g if axis == 0 else np.moveaxis(g, axis, 0)
    return TupleGrad([g] * len(xs) if np.ndim(g) == 0 else
                     [np.take(g, i, axis=axis) for i in range(len(xs))])


def restack(g, xs, axis):
    """stack_grad's transpose: the parts' gradients `g` stacked along `axis` (for an array xs,
    which np.array(xs) copies, g moved back; a 0-d array has no parts to stack)."""
    if type(xs) not in (list, tuple):
        return g if axis == 0 else np.moveaxis(g, 0, axis)
    return np.stack(g, axis=axis)
