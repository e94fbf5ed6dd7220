"""The few helpers generated code calls besides NumPy. Everything here is plain NumPy, so an exported
derivative can carry these definitions along and run without adcompile."""
import cmath
import math
import sys

import numpy as np


def unbroadcast(g, x):
    """Fit the gradient `g` to `x`'s shape (summed where `x` was broadcast, broadcast up where it
    is smaller: 2.0 of `2.0 * x`), dtype (real for a real `x`) and type (a NumPy scalar's)."""
    if type(g) is float and type(x) is float:  # Python numbers: nothing was broadcast
        return g
    if type(g) is np.ndarray and type(x) is np.ndarray and g.dtype is x.dtype:
        gshape, xshape = g.shape, x.shape  # NumPy arrays of one dtype, the shapes of one length:
        if gshape == xshape:  # the common cases without the general walk below
            return g
        if len(gshape) == len(xshape) and all(n == 1 or m == n for m, n in zip(gshape, xshape)):
            return g.sum(axis=tuple(i for i, n in enumerate(xshape) if n != gshape[i]),
                         keepdims=True)
    if isinstance(x, (tuple, list)):  # a container (an argument, a named tuple): parts fitted
        return g
    gtype, xtype = getattr(g, "dtype", None), getattr(x, "dtype", None)
    if gtype is not xtype or type(g) is complex:  # (a Python float's too)
        if _complex(g) and not _complex(x):
            g = np.real(g)  # a real value's adjoint is real (JAX), through complex numbers too
            gtype = getattr(g, "dtype", None)
        if gtype is not None and isinstance(xtype, np.dtype) and gtype != xtype and \
                gtype.kind in "fc" and xtype.kind in "fc":
            g = g.astype(xtype)  # and has its dtype: float32 stays float32 (JAX), complex complex
        elif gtype is None and type(g) in (float, int) and \
                getattr(xtype, "kind", None) in ("f", "c") and isinstance(xtype, np.dtype):
            g = np.asarray(g, xtype) if type(x) is np.ndarray else xtype.type(g)  # (a constant)
    if type(x) is float or type(x) is complex:  # a Python number's gradient is one, NumPy on
        return type(x)(g if not _shape(g) else np.sum(g))  # the way or not
    gshape, xshape = _shape(g), _shape(x)
    if not _same_shape(gshape, xshape):
        full = _broadcast_shape(gshape, xshape)
        if _same_shape(full, xshape):  # g is smaller: broadcast it up
            return _fill(g, x)
        g = _sum_to(g if _same_shape(full, gshape) else np.broadcast_to(g, full), xshape)
    if xshape or type(x) is not np.ndarray and not isinstance(x, np.inexact):
        return g
    return np.asarray(g) if type(x) is np.ndarray else type(x)(g)  # (JAX's 0-d array)


def _sum_to(g, shape):
    """`g` summed over the axes it carries beyond `shape`, new leading ones and those where
    `shape` has length 1: the gradient of a value that was broadcast to g's shape."""
    gshape = _shape(g)
    if _same_shape(gshape, shape):
        return g
    lead = len(gshape) - len(shape)
    if lead > 0 and _same_shape(gshape[lead:], shape):  # broadcast along new axes only
        return g.sum(axis=0) if lead == 1 else g.sum(axis=tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g if _same_shape(_shape(g), shape) else np.reshape(g, shape)


def _ndim(v):
    """`v.ndim` where there is one (arrays of any library), else NumPy's view of it."""
    ndim = getattr(v, "ndim", None)
    return np.ndim(v) if ndim is None else ndim


def _shape(v):
    """`v.shape` where there is one (arrays of any library), else NumPy's view of it."""
    shape = getattr(v, "shape", None)
    return np.shape(v) if shape is None else shape


def _same_shape(a, b):
    """Whether two shapes are equal, a length Dask does not know yet (nan) equal to another: the
    values they belong to were computed together, so they broadcast."""
    return a == b or len(a) == len(b) and all(m == n or m != m and n != n for m, n in zip(a, b))


def _broadcast_shape(a, b):
    """The shape two shapes broadcast to (they do: the function ran), an unknown length kept."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(q if p == 1 else p for p, q in zip(a, b))


def _numpy(x):
    """Whether `x` is NumPy's (an array, a scalar) or Python's: constants made for it may be
    NumPy arrays. Other libraries' arrays (Dask, CuPy) get numbers, or arrays of their own."""
    return type(x) is np.ndarray or isinstance(x, (np.generic, float, int, complex, list, tuple))


def size_of(x):
    """The number of entries of `x`, read from its shape: `x.size`, which Dask knows without
    computing (np.size(x) computes it); a lazy count where Dask does not know it yet (nan)."""
    n = getattr(x, "size", None)
    if n is None:
        return np.size(x)
    return np.sum(np.ones_like(x)) if n != n else n


def own(x):
    """A derivative's result as its own array (results.py): a copy of an array, a number as it
    is."""
    return x.copy() if isinstance(x, np.ndarray) or getattr(x, "ndim", 0) else x


def in_dtype_of(g, x):
    """A Python number `g` in `x`'s floating dtype (so float32 stays float32): a float for a float,
    a 0-d array for NumPy, a NumPy scalar (which Dask and CuPy take as a number) for others."""
    if type(x) is float and type(g) in (float, int):
        return float(g)
    if type(x) is np.ndarray and type(g) is float and x.dtype.kind in "fc":
        return np.asarray(g, x.dtype)  # (what _weak makes: a Python float is weak, NEP 50)
    return _weak(g, x)


def _weak(g, x):
    """A Python number in `x`'s floating dtype (so float32 stays float32); see in_dtype_of. A
    library whose dtypes are not NumPy's gets the Python number, which array libraries keep weak."""
    if type(g) not in (float, int):
        return g
    dtype = getattr(x, "dtype", None)
    if _numpy(x) or dtype is None:
        return np.asarray(g, dtype=np.result_type(np.float64 if dtype is None else dtype, g))
    return np.result_type(dtype, g).type(g) if isinstance(dtype, np.dtype) else g


def _fill(g, x):
    """`g` (a number, or an array that broadcasts to x) broadcast to `x`'s shape: a read-only
    view for NumPy; for another library an array of its own, made through NumPy's protocols and
    laid out (chunked) like x, so no NumPy array enters its arithmetic or its graph."""
    g = _weak(g, x)
    if _numpy(x):
        return np.broadcast_to(g, np.shape(x))
    dtype = getattr(x, "dtype", None)
    if isinstance(g, (float, int, complex, np.generic)) and isinstance(dtype, np.dtype):
        return np.full_like(x, g, dtype=np.result_type(dtype, g))
    return np.zeros_like(x) + g


def expand_to(t, x):
    """Broadcast the tangent `t` to `x`'s shape (a tangent of a broadcast value may be smaller)."""
    if isinstance(x, (list, tuple)):  # the gradient of a tuple (np.linalg.qr's): part by part
        parts = t if isinstance(t, (list, tuple)) else [t] * len(x)
        return TupleGrad(expand_to(p, e) for p, e in zip(parts, x))
    if _same_shape(_shape(t), _shape(x)):
        return t
    return _fill(t, x)


def zeros_like(x):
    """A zero gradient shaped like `x`: 0.0 for Python numbers, an array of zeros otherwise."""
    if type(x) is float or type(x) is int:
        return 0.0
    if isinstance(x, (list, tuple)):  # a list's gradient is a list (list_add adds them), a
        parts = [zeros_like(e) for e in x]  # tuple's (np.modf's pair) parts `+` adds in turn
        return parts if type(x) is list else TupleGrad(parts)
    return np.zeros_like(x)


def unreduce(g, x, axis, keepdims):
    """Broadcast the gradient of a reduction over `axis` back to the shape of its input `x`."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return _fill(g, x)


def _product_fit(g, x, y, xn, yn):
    """The gradient `g` of `x @ y` summed to the product's shape: an addition after the product
    may have broadcast it (`W @ h + xs` with xs of shape (k, n)); reverse mode leaves that to
    the two helpers below, so it need not keep the product for its shape."""
    xs, ys = _shape(x), _shape(y)
    if yn == 1:
        want = tuple(xs[:-1])
    elif xn == 2 and yn == 2:
        want = (xs[0], ys[1])
    elif xn == 1:
        want = tuple(ys[:-2]) + tuple(ys[-1:])
    else:
        want = _broadcast_shape(xs[:-2], ys[:-2]) + (xs[-2], ys[-1])
    return g if _shape(g) == want else _sum_to(g, want)


def matmul_grad_left(g, x, y):
    """The gradient of `x @ y` with respect to `x` (1-D, 2-D and stacked operands)."""
    try:  # (the common cases first, in few steps: a matrix times a vector or a matrix)
        n = g.ndim if x.ndim == 2 and g.ndim == y.ndim and len(g) == len(x) else 0
    except (AttributeError, TypeError, ValueError):  # (a number; an unknown length: Dask)
        n = 0
    if n == 1:
        return g[:, None] * y
    if n == 2 and g.shape[1] == y.shape[1]:
        return g @ y.T
    xn, yn = _ndim(x), _ndim(y)
    g = _product_fit(g, x, y, xn, yn)
    if xn == 2 and yn == 2:
        return g @ y.T
    if xn == 2 and yn == 1:
        return g[:, None] * y
    if yn == 1:
        return g * y if xn == 1 else unbroadcast(np.expand_dims(g, -1) * y, x)
    if xn == 1:
        return unbroadcast(np.matmul(y, np.expand_dims(g, -1))[..., 0], x)
    return unbroadcast(g @ np.swapaxes(y, -1, -2), x)


def matmul_grad_right(g, x, y):
    """The gradient of `x @ y` with respect to `y` (1-D, 2-D and stacked operands)."""
    try:  # (the common cases first)
        n = g.ndim if x.ndim == 2 and g.ndim == y.ndim and len(g) == len(x) else 0
    except (AttributeError, TypeError, ValueError):
        n = 0
    if n == 1 or n == 2 and g.shape[1] == y.shape[1]:
        return x.T @ g
    xn, yn = _ndim(x), _ndim(y)
    g = _product_fit(g, x, y, xn, yn)
    if xn == 2 and (yn == 2 or yn == 1):
        return x.T @ g
    if xn == 1:
        return g * x if yn == 1 else unbroadcast(np.expand_dims(x, -1) * np.expand_dims(g, -2), y)
    if yn == 1:
        return unbroadcast(np.matmul(np.swapaxes(x, -1, -2), np.expand_dims(g, -1))[..., 0], y)
    return unbroadcast(np.swapaxes(x, -1, -2) @ g, y)


_REALS = frozenset({float, np.float64})  # (scatter_add's adjoints, most often)


def scatter_add(buffer, index, g):
    """`buffer[index] += g` into a gradient buffer the generated code owns (repeated indices add).
    The gradient of a list may be a TupleGrad (reverse over reverse): a list from here on."""
    if type(g) in _REALS:
        if type(index) is int and type(buffer) is np.ndarray:  # (the most common case first)
            buffer[index] += g
            return buffer
    elif _complex(g) and getattr(getattr(buffer, "dtype", None), "kind", "c") != "c":
        g = np.real(g)  # (a real value's adjoint is its real part)
    if type(buffer) is np.ndarray and type(index) is int and buffer.ndim > 1:
        part = buffer[index]  # (the common case first: a row, a view into the buffer)
        if part.shape == getattr(g, "shape", None):
            part += g
            return buffer
    if isinstance(buffer, tuple):
        buffer = list(buffer)
    if type(buffer) is list:  # (a slice of a list gets the gradient element by element)
        buffer[index] = list_add(buffer[index], _fit_part(g, buffer[index]))
        return buffer
    if _basic(index):
        try:
            buffer[index] += g
        except ValueError:  # g carries axes an addition broadcast it to
            buffer[index] += _sum_to(g, _shape(buffer[index]))
    else:
        _add_at(buffer, index, g)
    return buffer


def _basic(index):
    """Whether `index` is basic indexing (ints and slices: no element twice)."""
    return isinstance(index, (int, slice)) or type(index) is tuple and all(
        isinstance(i, (int, slice)) for i in index)


def _add_at(out, index, g):
    """np.add.at, with `g` summed to the indexed part's shape where it carries more axes. An
    array type without `ufunc.at` (Dask) takes the sum by item assignment where the index is
    basic (no repeated elements to add up)."""
    try:
        np.add.at(out, index, g)
    except ValueError:
        np.add.at(out, index, _sum_to(g, _shape(out[index])))
    except TypeError:
        if isinstance(out, np.ndarray) or not _basic(index):
            raise
        part = out[index]
        out[index] = part + _fit_part(g, part)


def _fit_part(g, part):
    """`g` summed to the shape of `part`, an element of a list or tuple (or its gradient) that
    is a number or an array; a part that is itself a list takes `g` as it is."""
    if isinstance(part, (tuple, list)) or isinstance(g, (tuple, list)) or _fits(g, part):
        return g
    return _sum_to(g, _shape(part))


def _fits(g, part):
    """Whether `g` broadcasts into `part`'s shape (it may carry axes a later addition broadcast
    it to, which reverse mode leaves to getitem_grad and scatter_add to sum)."""
    gshape, pshape = _shape(g), _shape(part)
    return len(gshape) <= len(pshape) and all(
        m == 1 or m == n or m != m for m, n in zip(gshape[::-1], pshape[::-1]))


class TupleGrad(tuple):
    """The gradient of a tuple or list argument (unpacked with `a, b = p`, or read as p[0]): the
    parts' gradients, added element by element, so `grad_p = getitem_grad(grad_b, p, 1) +
    getitem_grad(grad_a, p, 0)` is `(grad_a, grad_b)`, not the parts side by side. (Appending,
    `t + [v]` with a plain list on the right, still appends; a slice is one too.)"""
    __slots__ = ()

    def __getitem__(self, index):  # (forward mode: d_s[:-1] + [d_v], the list s popped, grown)
        part = tuple.__getitem__(self, index)
        return TupleGrad(part) if type(index) is slice else part

    def __add__(self, other):
        if type(other) is list:  # t + [v]: a list grown by a loop
            return list(self) + other
        if type(other) not in (TupleGrad, tuple) or len(other) != len(self):
            return NotImplemented
        return TupleGrad(list_add(self, other))

    def __radd__(self, other):  # zeros_like(p) + getitem_grad(g, p, 0)
        if type(other) not in (list, tuple) or len(other) != len(self):
            return NotImplemented
        return TupleGrad(list_add(other, self))


def getitem_grad(g, x, index):
    """The gradient of `x[index]`: `g` added into zeros shaped like `x` (repeated indices add up)."""
    if isinstance(x, (tuple, list)):  # (a named tuple too: np.linalg.eigh's result)
        out = [zeros_like(e) for e in x]
        out[index] = _fit_part(g, x[index])
        return TupleGrad(out)
    out = np.zeros_like(x, dtype=np.result_type(x, g))
    _add_at(out, index, g)
    return out


def outside_rule(message):
    """The error of a derivative rule met at run time with values it does not hold for, placed at
    the user's line the generated line comes from."""
    from adcompile.errors import OutsideRuleError, at_generated_caller
    return at_generated_caller(OutsideRuleError(message))


def _kind(v):
    """The dtype kind of a number or array ("f", "i", ...; another library's dtype counts as
    "f"), None for anything else (a string, None, an object)."""
    dtype = getattr(v, "dtype", None)
    if dtype is not None:
        return getattr(dtype, "kind", "f")
    if isinstance(v, (bool, int, float, complex, np.generic)):
        return np.result_type(v).kind
    return None


NOT_SCALAR = "grad needs a scalar output"  # (hessian's message says its own words instead)


def check_scalar(out, *inputs):
    """grad differentiates a scalar with respect to floating-point inputs: raise unless `out`
    holds exactly one number and each of `inputs` (the arguments in argnums) is a float or a
    floating-point array."""
    size = getattr(out, "size", None)
    if (np.size(out) if size is None else size) != 1:
        from adcompile.errors import ArgumentError, at_generated_caller
        raise at_generated_caller(ArgumentError(
            f"{NOT_SCALAR}, but the function returned shape {np.shape(out)}; "
            "reduce it (e.g. with np.sum or np.mean) or use vjp/jacrev for non-scalar outputs."))
    kind = _kind(out)
    if kind == "c":
        from adcompile.errors import ComplexOutputError, at_generated_caller
        raise at_generated_caller(ComplexOutputError(
            f"grad requires a real-valued output, but the function returned the complex number "
            f"{out!r}; differentiate np.real(...) or np.abs(...) of it, or use vjp for complex "
            "outputs."))
    if kind is None or kind not in "biuf":
        from adcompile.errors import ArgumentError, at_generated_caller
        raise at_generated_caller(ArgumentError(
            f"grad needs a numeric output, but the function returned {type(out).__name__} "
            f"{out!r}"))
    for k, x in enumerate(inputs):
        if type(x) is float:
            continue
        if _kind(x) is None or type(x) in (tuple, list):  # (compiled for a number or an array)
            from adcompile.errors import ArgumentError, at_generated_caller
            if type(x).__module__ != "builtins" and not isinstance(x, (tuple, list, dict)):
                raise at_generated_caller(ArgumentError(
                    f"argument {k} of those in argnums is a {type(x).__name__} object, which the "
                    "function uses only through its operators (it reads none of its fields), so "
                    "its derivative was compiled for numbers and arrays; read its fields in the "
                    f"function (it is then differentiated through them, its gradient a "
                    f"{type(x).__name__}) or pass them as arguments"))
            raise at_generated_caller(ArgumentError(
                f"grad differentiates with respect to floating-point arguments, but argument "
                f"{k} of those in argnums is {type(x).__name__} {x!r}; pass a float or an array "
                "of floats, or leave it out of argnums."))
        dtype = getattr(x, "dtype", None)
        dtype = np.result_type(x) if dtype is None else dtype
        if getattr(dtype, "kind", "f") not in "fc":  # (dtypes of another library: not checked)
            from adcompile.errors import ArgumentError, at_generated_caller
            raise at_generated_caller(ArgumentError(
                f"grad differentiates with respect to floating-point arguments, but "
                f"{'the one' if len(inputs) == 1 else f'number {k} (from 0) of those'} in "
                f"argnums is " + (f"the {type(x).__name__} {x!r}" if type(x) in (int, bool) else
                                  f"{'an integer' if dtype != bool else 'a boolean'} "
                                  f"{'array' if np.ndim(x) else 'number'} (dtype {dtype})") +
                "; pass floats (e.g. x.astype(float) or 2.0 instead of 2) or leave it out of "
                "argnums."))


def check_numbers(*values):
    """grad's check of the arguments outside argnums that its arithmetic takes as operands
    (reverse.operands): numbers or arrays, as its rules assume. An object whose operators are
    written in Python, when the function reads none of its fields, is neither: refused."""
    for x in values:
        if _kind(x) is None and type(x).__module__ not in ("builtins", "fractions", "decimal"):
            # (a list, a tuple, a Fraction: Python's own operators)
            from adcompile.errors import ArgumentError, at_generated_caller
            raise at_generated_caller(ArgumentError(
                f"an argument outside argnums is a {type(x).__name__} object, which the "
                "function uses only through its operators (it reads none of its fields), so "
                "its derivative was compiled for numbers and arrays there; read its fields in "
                "the function (it is then differentiated through them) or pass them as "
                "arguments"))


def real_part(g):
    """The real part of the adjoint of a real value, which turns complex when the value meets a
    complex number later (`np.abs(z) * 1j`); a real adjoint is returned as it is, at no cost."""
    if type(g) is float:
        return g
    if type(g) is complex:
        return g.real
    kind = getattr(getattr(g, "dtype", None), "kind", None)
    return np.real(g) if kind == "c" or type(g) is complex else g


def phase(x):
    """np.sign(x) of a real x; of a complex x, its phase x / |x| (0 at 0), which abs's rule
    reads and which turns with x (phase_vjp, phase_jvp: its derivatives, zero for a real x)."""
    if _complex(x):
        r = np.abs(x)
        return np.where(r == 0, 0, x / np.where(r == 0, 1, r))
    return np.sign(x)


def phase_jvp(t, x, w):
    """The tangent of w = phase(x): (t - w Re(conj(w) t)) / |x| for complex x, 0 for real."""
    if not _complex(x):
        return zeros_like(x)
    r = np.abs(x)
    return np.where(r == 0, 0, (t - w * np.real(np.conj(w) * t)) / np.where(r == 0, 1, r))


def phase_vjp(g, x, w):
    """The adjoint of x from w = phase(x), in JAX's convention (d L = Re(g d w)):
    (g - Re(g w) conj(w)) / |x| for complex x, 0 for real."""
    if not _complex(x):
        return zeros_like(x)
    r = np.abs(x)
    return np.where(r == 0, 0, (g - np.real(g * w) * np.conj(w)) / np.where(r == 0, 1, r))


def real_phase_zero(x):
    """The derivative of phase_vjp and phase_jvp in x and w: 0 for a real x (they are 0 there);
    for a complex x refused (a third derivative of np.abs of a complex value)."""
    if _complex(x):
        raise outside_rule("np.abs (or abs) of a complex value has derivatives to the second "
                           "order; a third derivative is not supported: differentiate "
                           "np.sqrt(z.real ** 2 + z.imag ** 2) instead")
    return zeros_like(x)


def _complex(x):
    dtype = getattr(x, "dtype", None)
    return type(x) is complex if dtype is None else dtype.kind == "c"


def conj(x):
    """The complex conjugate of `x`; a real value (a Python float, a real array) is returned as
    it is, at no cost. Reverse rules of functions that are not holomorphic (abs, var, norm) use it:
    the adjoint of complex z follows JAX's convention, d f / d re(z) - 1j * d f / d im(z)."""
    if type(x) is float:
        return x
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    return x if kind in ("f", "i", "u", "b") else np.conj(x)


def sign(x):
    """The derivative of abs: the sign of x (-1, 0 or 1), and for complex x the conjugate of
    x / |x|. A Python float gets a Python float (the gradient may be this value itself: grad of
    abs(s) is sign(s), which an int would make an int, a constant to jacrev)."""
    if type(x) is float:
        return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0
    if type(x) is int:
        return (x > 0) - (x < 0)
    if type(x) is complex:  # (a Python complex stays one: Python's (-2.0) ** 0.5)
        return (x / abs(x)).conjugate() if x else 0j
    return conj(np.sign(x))


def mT(x):
    """The matrix transpose: the last two axes swapped (`x.T` for a 2-D array)."""
    return np.swapaxes(x, -1, -2)


def max_weights(x, ans, axis, keepdims):
    """Where `x` attains its reduced maximum (or minimum) `ans`: 1 / (number of ties), else 0.
    The gradient of np.max is routed to the maximum and split evenly among ties."""
    hit = (x == unreduce(ans, x, axis, keepdims)).astype(np.result_type(x, 1.0))
    return hit / np.sum(hit, axis=axis, keepdims=True)


def cumsum_grad(g, x, axis):
    """The gradient of np.cumsum(x, axis): each entry gets the sum of the gradients of every
    partial sum that includes it, a cumulative sum taken from the end."""
    if axis is None:  # np.cumsum flattens
        return np.reshape(np.flip(np.cumsum(np.flip(g))), np.shape(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def _part(g, i, sizes, axis, shape):
    start = sum(sizes[:i])
    index = (slice(None),) * (axis % np.ndim(g)) + (slice(start, start + sizes[i]),)
    piece = g[index]
    return np.reshape(piece, shape) if np.shape(piece) != shape else piece


def concatenate_part(g, i, *xs, axis=0):
    """The piece of `g` that np.concatenate(xs, axis) took from xs[i]."""
    if axis is None:  # np.concatenate(xs, axis=None) flattens first
        return _part(g, i, [np.size(x) for x in xs], 0, np.shape(xs[i]))
    return _part(g, i, [np.shape(x)[axis] for x in xs], axis, np.shape(xs[i]))


def hstack_part(g, i, *xs):
    """The piece of `g` that np.hstack(xs) took from xs[i]."""
    if np.ndim(xs[0]) >= 2:
        return _part(g, i, [np.shape(x)[1] for x in xs], 1, np.shape(xs[i]))
    return _part(g, i, [np.size(x) for x in xs], 0, np.shape(xs[i]))


def vstack_part(g, i, *xs):
    """The piece of `g` that np.vstack(xs) took from xs[i]."""
    sizes = [np.shape(x)[0] if np.ndim(x) >= 2 else 1 for x in xs]
    return _part(g, i, sizes, 0, np.shape(xs[i]))


def untile(g, x, reps):
    """The gradient of np.tile(x, reps): the copies' gradients summed."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    shape = np.shape(x)
    d = max(len(reps), len(shape))
    reps, full = (1,) * (d - len(reps)) + reps, (1,) * (d - len(shape)) + shape
    g = np.reshape(g, [n for pair in zip(reps, full) for n in pair])
    return np.reshape(np.sum(g, axis=tuple(range(0, 2 * d, 2))), shape)


def unrepeat(g, x, repeats, axis):
    """The gradient of np.repeat(x, repeats, axis): the repeated entries' gradients summed."""
    shape = np.shape(x)
    if axis is None:  # np.repeat flattens first
        return np.reshape(unrepeat(g, np.reshape(x, (-1,)), repeats, 0), shape)
    axis = axis % len(shape)
    if np.ndim(repeats) == 0:
        split = shape[:axis] + (shape[axis], repeats) + shape[axis + 1:]
        return np.sum(np.reshape(g, split), axis=axis + 1)
    repeats = np.broadcast_to(repeats, (shape[axis],))
    ends = np.cumsum(repeats)
    kept = repeats > 0  # entries repeated 0 times get 0; the others the sum of their copies
    out = np.zeros_like(g, shape=shape[:axis] + shape[axis + 1:] + (shape[axis],),
                        dtype=np.result_type(g, x))
    if np.any(kept):
        sums = np.add.reduceat(g, (ends - repeats)[kept], axis=axis)
        out[..., kept] = np.moveaxis(sums, axis, -1)
    return np.moveaxis(out, -1, axis)


def trace_grad(g, x, offset, axis1, axis2):
    """The gradient of np.trace(x, offset, axis1, axis2): `g` on the traced diagonal, 0 elsewhere."""
    shape, n = np.shape(x), np.ndim(x)
    eye = np.eye(shape[axis1], shape[axis2], k=offset, dtype=np.result_type(x, 1.0), like=x)
    out = (g if _ndim(g) == 0 else np.expand_dims(g, (-2, -1))) * eye
    return np.moveaxis(out, (-2, -1), (axis1 % n, axis2 % n))


def unsplit(g, axis):
    """The gradient of np.split(x, n, axis) from the pieces' gradients (a list, or stacked in an
    array): the pieces put back side by side along `axis`."""
    if isinstance(g, (list, tuple)):  # (a TupleGrad: the gradient of the pieces' tuple)
        return np.concatenate(g, axis=axis)
    g = np.moveaxis(g, 0, axis % (np.ndim(g) - 1))
    shape = np.shape(g)
    axis = axis % (len(shape) - 1)
    return np.reshape(g, shape[:axis] + (shape[axis] * shape[axis + 1],) + shape[axis + 2:])


def setitem(x, index, v):
    """`x` with `x[index] = v`, as a new array: differentiated code never writes into its inputs.
    A list (held as a tuple, or the TupleGrad of its gradient) gives one of the same kind. A
    read-only array (np.broadcast_to's, sliding_window_view's views) is refused as NumPy refuses
    it: the write would change every place the view repeats, which a copy does not."""
    if isinstance(x, np.ndarray) and not x.flags.writeable:
        raise ValueError("assignment destination is read-only (NumPy's view: write into a "
                         "copy, `x = x.copy()`)")
    return written(x, index, v)


def written(x, index, v):
    """`x` with `x[index] = v`, as a new array (setitem's, for derivative code: an adjoint may be
    a read-only broadcast)."""
    if isinstance(x, (list, tuple)):
        out = list(x)
        out[index] = v
        return out if type(x) is list else TupleGrad(out) if type(x) is TupleGrad else tuple(out)
    out = x.copy()
    out[index] = v
    return out


def last_written(x, like, index):
    """`x`, the part `like[index]` of an adjoint, with zeros where an index array names a place
    again: `y[index] = v` keeps the last of the values written to one place, so only it gets
    that place's gradient. Unchanged for an index that cannot repeat a place."""
    parts = index if type(index) is tuple else (index,)
    if not any(isinstance(p, list) or getattr(p, "dtype", None) is not None and
               p.dtype.kind in "iu" and np.ndim(p) > 0 for p in parts):
        return x
    shape = np.shape(like[index])
    ids, owner = np.arange(int(np.prod(shape))).reshape(shape), np.full(np.shape(like), -1)
    owner[index] = ids
    return np.where(owner[index] == ids, x, 0.0 * x)


def changed_in_place(x):
    """Whether `x op= v` changes x in place (an array, a list: its type has __iadd__) rather
    than rebinding the name (a number): a helper's parameter so changed is the caller's too."""
    return hasattr(type(x), "__iadd__")


def check_not_in_place(x, method, where, name, others, *values):
    """Generated code's stand-in for `x *= ...` or `x[i] = ...` on a value other names may hold
    (`values`, their values now): an error for an array changed in place that one of them is or
    views, which Python changes for every name and flat code for x only; fine for a number (u[i
    - 1] of a vector). (`where`, the place, is for reading the generated code.)"""
    if not hasattr(type(x), method) or values and not any(_may_alias(v, x) for v in values):
        return
    from adcompile.errors import UnsupportedSyntaxError, at_generated_caller
    names = [n for n, v in zip(others.split(", "), values) if _may_alias(v, x)]  # (one value
    others = ", ".join(names) if names and others.count(", ") + 1 == len(values) else others  # each)
    base = others.split(", ")[0]
    if getattr(x, "base", None) is not None and others != "the caller" and any(
            v is not x and isinstance(v, np.ndarray) and _may_alias(v, x) for v in values):
        # a view (`for row in U`, `col = U[:, 0]`): a copy would no longer change U, as the
        # program means to, so the advice is to write through U
        raise at_generated_caller(UnsupportedSyntaxError(
            f"{name} is changed in place, and it is a view of {others}, which Python changes "
            f"through it: generated code cannot. Write through {base} itself ({base}[i] *= ..., "
            f"or {base} = {base} * ...); {name} = {name}.copy() would leave {base} unchanged."))
    if others == "the caller":  # a helper's parameter (or its field), the function's argument
        raise at_generated_caller(UnsupportedSyntaxError(
            f"{name} is changed in place, and the caller holds the same array: Python changes "
            f"it for the caller too, generated code cannot. " + (
                f"In a helper, write {name}[:] += ... (a change of its items, which the caller "
                f"is given) or return the new value ({name} = {name} + ...; return {name}); in "
                f"the differentiated function, make a new array first ({name} = {name}.copy())."
                if name.isidentifier() else "Store a copy where another name, object or list "
                f"holds it (self.pos = np.array(pos)), or rebind it ({name} = {name} + ...).")))
    raise at_generated_caller(UnsupportedSyntaxError(
        f"{name} is changed in place, and {'one of ' if ', ' in others else ''}{others} holds "
        f"the same array (or a view of it): Python changes both, "
        f"generated code cannot. Make a new array first ({name} = {name}.copy()) or write "
        f"{name} = {name} ... instead of changing it in place."))


def check_unpacked(x, method, where, name, others, *values):
    """`x`, the part `name` of an array stored into as a tuple is unpacked (`M[0], M[1] = M[1],
    M[0]`), against the other values on the right (`others`, in words), which Python read
    before the store: one sharing memory with x shows the store."""
    if not isinstance(x, np.ndarray) or not any(
            isinstance(v, np.ndarray) and np.shares_memory(v, x) for v in values):
        return
    from adcompile.errors import UnsupportedSyntaxError, at_generated_caller
    raise at_generated_caller(UnsupportedSyntaxError(
        f"storing into {name} while unpacking: {others} on the right is (a view of) the same "
        "array, and NumPy reads it after the store has changed it (`M[0], M[1] = M[1], M[0]` "
        "copies row 1 into both rows), where generated code would swap. Copy the values on "
        "the right first (.copy()), or index with lists (M[[0, 1]] = M[[1, 0]])."))


def check_item_not_in_place(xs, i, method, where, name, others, *values):
    """check_not_in_place of `xs[i][j] = v` (xs a list made at run time): xs's other items too."""
    if isinstance(xs, list) and isinstance(i, (int, np.integer)) and (len(xs) > 1 or values) \
            and not isinstance(xs[i], (list, tuple)):  # (generated code shares equal lists)
        rest = [v for j, v in enumerate(xs) if j != i % len(xs)]
        check_not_in_place(xs[i], method, where, name, others, *rest, *values)


def basic_index(index):
    """Whether x[index] is a view of x (ints, slices, None, ...), not a copy (arrays, lists).
    A key (`p["a"]`) is the dict's item itself, or a field of a structured array (a view)."""
    if isinstance(index, str):
        return True
    return all(p is None or p is Ellipsis or type(p) is slice or isinstance(p, (int, np.integer))
               and not isinstance(p, (bool, np.bool_))
               for p in (index if type(index) is tuple else (index,)))


def check_view_index(index, where, item):
    """Generated code's stand-in for `y[index][j] = v`: an error where y[index] is a copy, which
    Python changes and drops (flat code would change y). (`where` is for reading the code.)"""
    if not basic_index(index):
        from adcompile.errors import UnsupportedSyntaxError, at_generated_caller
        raise at_generated_caller(UnsupportedSyntaxError(
            f"assigning into {item}, a copy (an array or list index makes one, which Python "
            "changes and drops): assign into the array itself."))


def _may_alias(v, x):
    """Whether changing x (an array, a list) in place may change v (v is x, a NumPy view of it,
    or a container holding either)."""
    if v is x:
        return True
    if v is None or isinstance(v, (bool, int, float, complex, str, np.generic)):
        return False
    if isinstance(v, np.ndarray) and isinstance(x, np.ndarray):
        return np.may_share_memory(v, x)
    if isinstance(x, (list, dict)) and isinstance(v, np.ndarray) and v.dtype != object:
        return False  # (a list's item stored anew changes no array it held: xs[1] = v)
    return not isinstance(v, (tuple, list)) or any(_may_alias(e, x) for e in v)


def list_add(a, b):
    """The sum of two gradients of a list, element by element. A number in place of a list is
    the zero adjoint of a placeholder (a list first built inside a loop that did not run); two
    numbers (a value popped from a tape that holds lists and numbers) are added."""
    if not isinstance(a, (list, tuple)):
        return a + b if not isinstance(b, (list, tuple)) else _beside_zero(a, b)
    if not isinstance(b, (list, tuple)):
        return _beside_zero(b, a)
    # (strict: two adjoints of one list have its length, rows joined by a `+` are refused)
    return [list_add(x, y) if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple))
            else x + y for x, y in zip(a, b, strict=True)]


def _beside_zero(number, gradient):
    """`gradient`, the gradient of a list, added to `number`, which stands for a list's zero
    gradient: anything else has no place to go, and is refused rather than dropped."""
    if np.any(number):
        from adcompile.errors import ADCompileError, at_generated_caller
        raise at_generated_caller(ADCompileError(
            f"adcompile's generated code added a gradient that is a number ({number!r}) to the "
            "gradient of a list; this is a defect of adcompile's: please report the function. "
            "Meanwhile, build the list as an array (np.array(xs)) before reading it"))
    return gradient


def sum_grad(g, xs):
    """The gradient of the builtin `sum(xs)`: `g` for every element of a list, or broadcast back
    over the first axis of an array."""
    if isinstance(xs, (list, tuple)):  # (a TupleGrad: added to another gradient of xs part by
        # part; a tuple a loop grows too, which a number in its place would not be added to)
        return TupleGrad([g] * len(xs))
    return _fill(g, xs)


def index_of(xs, x):
    """Where `x`, which max(xs) or min(xs) returned, stands in `xs` (the first such place, as
    max and min return the first of equal elements)."""
    for i, item in enumerate(xs):
        if item is x:
            return i
    for i, item in enumerate(xs):
        if item == x:
            return i
    raise ValueError("index_of: the value is not in the list")


def assert_(test, message=None):
    """The user's `assert test, message`, where the function runs it."""
    if not test:
        raise AssertionError() if message is None else AssertionError(message)


def unbound_message(name):
    """Python's words for reading the local `name` before it is bound (3.10 says it otherwise)."""
    if sys.version_info < (3, 11):
        return f"local variable {name!r} referenced before assignment"
    return f"cannot access local variable {name!r} where it is not associated with a value"


def check_bound(bound, name):
    """Reading the user's local `name` where it may not be bound (an `if` bound it on one path
    only): Python's UnboundLocalError on the path that did not."""
    if not bound:
        raise UnboundLocalError(unbound_message(name))


# The value a name first bound inside a loop holds before the loop, read only where the loop ran
# zero times (where Python raises UnboundLocalError, check_unbound does): a float, so that Numba
# types the name as one, and a NaN no arithmetic makes (its bits are what jit's check tests).
UNBOUND = np.uint64(0x7FF8_0BAD_0BAD_0BAD).view(np.float64).item()
UNBOUND_INT = -(2 ** 63)  # the same for the target of `for i in range(n)`, an int (int64's least)


def check_unbound(value, name):
    """Reading the user's local `name` after a loop that binds it first, where the loop may have
    run zero times: Python's UnboundLocalError when it did (`value` is still UNBOUND)."""
    if value is UNBOUND or value is UNBOUND_INT:
        raise UnboundLocalError(unbound_message(name))


def throw(error, *args):
    """The user's `raise error(*args)`: `error` is an exception class (or an exception)."""
    raise error(*args) if isinstance(error, type) else error


def check_unpack(xs, least):
    """`first, *mid, last = xs` of a list made at run time: Python's ValueError where xs holds
    fewer than `least` items (the names around the starred one)."""
    if len(xs) < least:
        raise ValueError(f"not enough values to unpack (expected at least {least}, got "
                         f"{len(xs)})")


def split_like(g, pieces, axis):
    """`g` cut along `axis` into pieces shaped like `pieces` (the adjoint of `unsplit`)."""
    if type(pieces) is list:
        sizes = [np.shape(p)[axis] for p in pieces]
        return np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return np.stack(np.split(g, np.shape(pieces)[0], axis=axis))


def add_fitted(x, *terms):
    """The sum of gradient contributions to `x`, each first fitted to `x`'s shape (summed over
    the axes it was broadcast along). For Python floats that is just their sum."""
    total = 0.0
    for t in terms:
        total = total + (t if type(t) is float and type(x) is float else unbroadcast(t, x))
    return total


def pow_dy(a, x):
    """The derivative of `a = x ** y` in y, `a * log(x)`, written to be 0 where x == 0 (JAX's
    _replace_zero: a term that multiplies log(x) is 0 there, 0 ** y staying 0 as y moves) or
    a == 0, not 0 * -inf; its derivatives (rules.py) keep that at every order. Python numbers
    stay Python numbers: a complex `a` of a negative float x (Python's (-2.0) ** 0.5) takes
    the complex logarithm, as Python's power does."""
    if (type(a) is float or type(a) is complex) and (type(x) is float or type(x) is int):
        if a == 0 or x == 0:
            return 0.0
        return a * math.log(x) if x > 0 else a * cmath.log(x) if type(a) is complex else math.nan
    return a * np.log(np.where((x == 0) | (a == 0), 1.0, x))


# --- sequences a loop builds or a caller passes: their gradients are lists -----------------------
def _parts(grad_of_part, g, xs, **kw):
    if type(xs) not in (list, tuple):  # an array: its rows are the parts
        return np.stack(_parts(grad_of_part, g, list(xs), **kw))
    return TupleGrad([grad_of_part(g, i, *xs, **kw) for i in range(len(xs))])


def concatenate_grad(g, xs, axis):
    """The gradients of the parts of np.concatenate(xs, axis)."""
    return _parts(concatenate_part, g, xs, axis=axis)


def hstack_grad(g, xs):
    """The gradients of the parts of np.hstack(xs)."""
    return _parts(hstack_part, g, xs)


def vstack_grad(g, xs):
    """The gradients of the parts of np.vstack(xs)."""
    return _parts(vstack_part, g, xs)


def imag_grad(g, x):
    """The gradient of np.imag(x): -1j * g for a complex x (JAX's), 0 for a real x (constant)."""
    if type(x) is not complex and getattr(getattr(x, "dtype", None), "kind", "f") != "c":
        return zeros_like(x)
    return -1j * g


REAL_ONLY = "this derivative rule holds for real values only; the input is complex"


def _real(*values):
    """Raise for complex values: the rule that calls this one holds for real values only."""
    for v in values:
        if getattr(getattr(v, "dtype", None), "kind", "f") == "c" or type(v) is complex:
            raise outside_rule(REAL_ONLY)


def real_matrix(x):
    """`x`, checked to be real (the rules that call it transpose where a complex matrix would
    need its conjugate transpose)."""
    _real(x)
    return x
