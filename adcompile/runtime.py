"""The few helpers generated code calls besides NumPy. Everything here is plain NumPy, so an exported
derivative can carry these definitions along and run without adcompile."""
import numpy as np


def unbroadcast(g, x):
    """Fit the gradient `g` to `x`'s shape: sum it over the axes along which `x` was broadcast,
    or broadcast it up where it is smaller (a constant gradient such as 2.0 of `2.0 * x`)."""
    gshape, xshape = np.shape(g), np.shape(x)
    if gshape == xshape:
        return g
    full = np.broadcast_shapes(gshape, xshape)
    if full != gshape:
        g = np.broadcast_to(_weak(g, x), full)
    lead = len(full) - len(xshape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(xshape) if n == 1 and full[lead + i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return np.reshape(g, xshape) if np.shape(g) != xshape else g


def _weak(g, x):
    """A Python number as an array of `x`'s floating dtype (so float32 stays float32)."""
    if type(g) in (float, int):
        return np.asarray(g, dtype=np.result_type(getattr(x, "dtype", np.float64), g))
    return g


def expand_to(t, x):
    """Broadcast the tangent `t` to `x`'s shape (a tangent of a broadcast value may be smaller)."""
    if np.shape(t) == np.shape(x):
        return t
    return np.broadcast_to(t, np.shape(x))


def zeros_like(x):
    """A zero gradient shaped like `x`: 0.0 for Python numbers, an array of zeros otherwise."""
    if type(x) is float or type(x) is int:
        return 0.0
    return np.zeros_like(x)


def unreduce(g, x, axis, keepdims):
    """Broadcast the gradient of a reduction over `axis` back to the shape of its input `x`."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(_weak(g, x), np.shape(x))


def matmul_grad_left(g, x, y):
    """The gradient of `x @ y` with respect to `x` (1-D, 2-D and stacked operands)."""
    xn, yn = np.ndim(x), np.ndim(y)
    if xn == 2 and yn == 2:
        return g @ y.T
    if yn == 1:
        return g * y if xn == 1 else unbroadcast(np.expand_dims(g, -1) * y, x)
    if xn == 1:
        return unbroadcast(np.matmul(y, np.expand_dims(g, -1))[..., 0], x)
    return unbroadcast(g @ np.swapaxes(y, -1, -2), x)


def matmul_grad_right(g, x, y):
    """The gradient of `x @ y` with respect to `y` (1-D, 2-D and stacked operands)."""
    xn, yn = np.ndim(x), np.ndim(y)
    if xn == 2 and yn == 2:
        return x.T @ g
    if xn == 1:
        return g * x if yn == 1 else unbroadcast(np.expand_dims(x, -1) * np.expand_dims(g, -2), y)
    if yn == 1:
        return unbroadcast(np.matmul(np.swapaxes(x, -1, -2), np.expand_dims(g, -1))[..., 0], y)
    return unbroadcast(np.swapaxes(x, -1, -2) @ g, y)


def dot_grad_left(g, x, y):
    """The gradient of `np.dot(x, y)` with respect to `x` (scalars, 1-D and 2-D operands)."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * y, x)
    return matmul_grad_left(g, x, y)


def dot_grad_right(g, x, y):
    """The gradient of `np.dot(x, y)` with respect to `y` (scalars, 1-D and 2-D operands)."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * x, y)
    return matmul_grad_right(g, x, y)


def getitem_grad(g, x, index):
    """The gradient of `x[index]`: `g` added into zeros shaped like `x` (repeated indices add up)."""
    out = np.zeros(np.shape(x), dtype=np.result_type(x, g))
    np.add.at(out, index, g)
    return out


def check_scalar(out):
    """grad differentiates a scalar: raise unless `out` holds exactly one number."""
    if np.size(out) != 1:
        from adcompile.errors import ArgumentError
        raise ArgumentError(
            f"grad needs a scalar output, but the function returned shape {np.shape(out)}; "
            "reduce it (e.g. with np.sum or np.mean) or use vjp/jacrev for non-scalar outputs.")
