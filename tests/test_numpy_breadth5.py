"""NumPy breadth, construction and shapes (test_numpy_breadth.py's table style): np.meshgrid,
np.broadcast_arrays and np.unstack unpacked by the caller, np.block, np.insert, np.delete,
np.compress, np.extract, np.choose, np.resize, np.trim_zeros, np.ediff1d, np.vander,
np.geomspace, np.logspace, the polynomial arithmetic and np.unwrap, each checked forward against
finite differences, reverse against forward and (order 2) their second derivatives."""
import numpy as np
import pytest

from adcompile import NoDerivativeError, grad, source
from adcompile.higher import check_grads
from checks import check_refused_at_its_line
from test_numpy_breadth import arr, case, distinct


# --- several arrays out, unpacked ----------------------------------------------------------------
def meshgrid_xy(x):
    X, Y = np.meshgrid(x, x[:2] ** 2)
    return X * Y + np.sin(X)
def meshgrid_ij(x):
    a, b, c = np.meshgrid(x, x[1:] * 2.0, x[:2], indexing="ij")
    return a * b ** 2 + c
def meshgrid_sparse(x):
    X, Y = np.meshgrid(x, x[:3] ** 2, sparse=True)
    return X * Y
def meshgrid_one(x): return np.meshgrid(x ** 2)[0] * x
def meshgrid_matrix(x):
    X, Y = np.meshgrid(x, x[0])  # (inputs are flattened)
    return X ** 2 * Y
def broadcasts(x):
    a, b = np.broadcast_arrays(x[:, None], x[0] ** 2)
    return a * b + a ** 2
def broadcasts_three(x):
    a, b, c = np.broadcast_arrays(x, x[:1, :], x[:, :1] ** 2)
    return a * b * c
def unstacked(x):
    a, b = np.unstack(x ** 2)
    return a * b
def unstacked_axis(x):
    a, b, c = np.unstack(x, axis=1)
    return a * np.sin(b) + c ** 2
def matrix_transposed(x): return np.matrix_transpose(x ** 2) * x.swapaxes(-1, -2)
def blocks(x): return np.block([[x, x ** 2], [np.sin(x), 2.0 * x]]) ** 2
def blocks_flat(x): return np.block([x, x[:2] ** 2, x[0]]) * 3.0
def blocks_mixed(x): return np.block([[x, x[:, :1] ** 2], [x[:1] * 2.0, np.ones((1, 1))]]) ** 2
def blocks_3d(x): return np.block([[[x], [x ** 2]]]) ** 2 * np.block([[x], [np.cos(x)]])


SEVERAL = [
    case(meshgrid_xy, arr(3), order=2), case(meshgrid_ij, arr(3), order=2),
    case(meshgrid_sparse, arr(4), order=2), case(meshgrid_one, arr(3), order=2),
    case(meshgrid_matrix, arr(2, 2)), case(broadcasts, arr(3), order=2),
    case(broadcasts_three, arr(2, 3), order=2), case(unstacked, arr(2, 3), order=2),
    case(unstacked_axis, arr(2, 3), order=2), case(matrix_transposed, arr(2, 3, 4), order=2),
    case(blocks, arr(2, 2), order=2), case(blocks_flat, arr(3), order=2),
    case(blocks_mixed, arr(2, 3), order=2), case(blocks_3d, arr(2, 3)),
]


# --- entries taken, left out, put in, repeated ----------------------------------------------------
def deleted(x): return np.delete(x, 1) ** 2 + np.delete(x, [0, 2], axis=1).sum()
def deleted_slice(x): return np.delete(x ** 2, slice(0, 2), axis=0) * 2.0
def inserted(x): return np.insert(x, 1, x[0] ** 2) ** 2
def inserted_axis(x): return np.insert(x, [0, 2], x[:, 1:2] * 3.0, axis=1) ** 2
def inserted_row(x): return np.insert(x, 1, x[0] ** 2, axis=0) * np.insert(x, 2, 0.5, axis=0)
def compressed(x): return np.compress([True, False, True], x ** 2, axis=1) * 2.0
def compressed_flat(x): return np.compress(x.ravel() > 0, x) ** 2
def extracted(x): return np.extract(x > 0.0, x) ** 2 + np.extract(np.eye(3) > 0, x).sum()
def chosen(x): return np.choose(np.array([[0, 1, 2], [2, 1, 0]]), [x, x ** 2, np.sin(x)]) ** 2
def chosen_wrap(x): return np.choose(np.array([0, 3, 1]), [x, x[::-1] ** 2], mode="wrap") * x
def chosen_broadcast(x): return np.choose(np.array([[0], [1]]), [x, x[0] * 2.0]) ** 2
def resized(x): return np.resize(x ** 2, (3, 4)) * np.resize(x, 4)
def trimmed(x): return np.trim_zeros(np.concatenate((np.zeros(2), x, np.zeros(1)))) ** 2
def trimmed_front(x): return np.trim_zeros(np.concatenate((np.zeros(2), x)) * x[0], "f") ** 2
def ediffs(x): return np.ediff1d(x) ** 2
def ediffs_ends(x): return np.ediff1d(x, to_end=x[0] ** 2, to_begin=np.sin(x[:2])) ** 2
def ediffs_begin(x): return np.ediff1d(x ** 2, to_begin=x[:, 0]) * 2.0
def ediffs_end(x): return np.ediff1d(x, x[-1] * 3.0) ** 2


TAKEN = [
    case(deleted, arr(3, 4), order=2), case(deleted_slice, arr(4, 2), order=2),
    case(inserted, arr(4), order=2), case(inserted, arr(2, 3)),
    case(inserted_axis, arr(3, 3), order=2), case(inserted_row, arr(3, 2), order=2),
    case(compressed, arr(2, 3), order=2), case(compressed_flat, arr(2, 3), order=2),
    case(extracted, arr(3, 3), order=2), case(chosen, arr(2, 3), order=2),
    case(chosen_wrap, arr(3), order=2), case(chosen_broadcast, arr(3), order=2),
    case(resized, arr(3), order=2), case(resized, arr(2, 2)),
    case(trimmed, arr(4, lo=0.2), order=2), case(trimmed_front, arr(3, lo=0.2), order=2),
    case(ediffs, arr(5), order=2), case(ediffs, arr(2, 3)), case(ediffs_ends, arr(4), order=2),
    case(ediffs_begin, arr(2, 3), order=2), case(ediffs_end, arr(4), order=2),
]


# --- made from values: powers, ranges, polynomials ------------------------------------------------
def vanders(x): return np.vander(x) ** 2 + np.vander(x, 2).sum()
def vanders_increasing(x): return np.vander(x, N=4, increasing=True) * x[:, None]
def vander_at_zero(x): return np.vander(x * np.array([0.0, 1.0, 1.0]), 3) ** 2
def geomspaces(x): return np.geomspace(x[0], x[1] + 1.5, 5) ** 2
def geomspace_arrays(x): return np.geomspace(x, x[::-1] * 2.0, num=4, endpoint=False) * 2.0
def logspaces(x): return np.logspace(x[0], x[1], 4) * np.logspace(x[1], 0.5, num=4, base=2.0)
def logspace_arrays(x): return np.sin(np.logspace(x, x ** 2, 3, endpoint=False))
def triangular(x): return np.tri(3) @ x + np.tri(3, 4, -1, dtype=float)[:, :3] @ x ** 2
def polyadds(x): return np.polyadd(x, x[:2] ** 2) ** 2 + np.polyadd(x[:1], x) * 2.0
def polysubs(x): return np.polysub(x[:2], x ** 2) ** 2 + np.polysub(x, x)
def polymuls(x): return np.polymul(x, x[:2] ** 2) ** 2
def polyders(x): return np.polyder(x ** 2) ** 2 + np.sum(np.polyder(x, 2)) + np.polyder(x, m=0)[1:]
def polyder_short(x): return np.sum(np.polyder(x, 3) ** 2) + np.sum(np.polyder(x[:1]) ** 2)
def polyints(x): return np.polyint(x ** 2) ** 2 + np.sum(np.polyint(x, 2))
def polyint_constant(x): return np.polyint(x, k=x[0] ** 2) * np.polyint(x, 2, [1.0, x[1]])[1:]
def polyint_scalar_k(x): return np.polyint(x, 3, x[2] * 2.0) ** 2
def unwrapped(x): return np.unwrap(x * 4.0) ** 2
def unwrapped_axis(x): return np.unwrap(x * 5.0, axis=0, period=3.0) * x


MADE = [
    case(vanders, arr(3), order=2), case(vanders_increasing, arr(3), order=2),
    case(vander_at_zero, arr(3), order=2), case(geomspaces, arr(2, lo=0.2), order=2),
    case(geomspace_arrays, arr(3, lo=0.3), order=2), case(logspaces, arr(2), order=2),
    case(logspace_arrays, arr(2), order=2), case(triangular, arr(3), order=2),
    case(polyadds, arr(3), order=2), case(polysubs, arr(3), order=2),
    case(polymuls, arr(3), order=2), case(polyders, arr(4), order=2),
    case(polyder_short, arr(3), order=2), case(polyints, arr(3), order=2),
    case(polyint_constant, arr(3), order=2), case(polyint_scalar_k, arr(3), order=2),
    case(unwrapped, distinct(5), order=2), case(unwrapped_axis, distinct(3, 2), order=2),
]


def summed(f):
    """np.sum(f(x) ** 2): a scalar, whose gradient check_grads differentiates again in reverse
    mode too (reverse over reverse: the rules of the helpers the gradients call)."""
    def total(x):
        return np.sum(f(x) ** 2)
    return total


SCALAR = [pytest.param(summed(f), (x,), 2, {}, id=f"summed-{f.__name__}") for f, x in [
    (meshgrid_ij, arr(3)), (unstacked_axis, arr(2, 3)), (blocks_3d, arr(2, 3)),
    (blocks_mixed, arr(2, 3)), (deleted, arr(3, 4)), (inserted_axis, arr(3, 3)),
    (resized, arr(3)), (chosen, arr(2, 3)), (trimmed, arr(4, lo=0.2)), (ediffs_ends, arr(4)),
    (vanders, arr(3)), (geomspace_arrays, arr(3, lo=0.3)), (logspaces, arr(2)),
    (polyadds, arr(3)), (polysubs, arr(3)), (polymuls, arr(3)), (polyders, arr(4)),
    (polyints, arr(3)), (polyint_constant, arr(3)), (polyint_scalar_k, arr(3))]]


@pytest.mark.parametrize("f, args, order, tol", SEVERAL + TAKEN + MADE + SCALAR)
def test_breadth(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def test_float32_stays_float32():
    def f(x):
        X, Y = np.meshgrid(x, x[:2])
        return np.sum(np.delete(X * Y, 0, axis=1) ** 2) + np.sum(np.block([x, x]) ** 2)
    x = arr(3).astype(np.float32)
    g = grad(f)(x)
    assert g.dtype == np.float32
    x64 = x.astype(np.float64)
    eps = 1e-6
    numeric = [(f(x64 + eps * e) - f(x64 - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(g, numeric, rtol=1e-4)


def test_meshgrid_gradients_sum_over_the_other_axes():
    def f(x, y):
        X, Y = np.meshgrid(x, y)
        return np.sum(X * 2.0 + Y * 3.0)
    gx, gy = grad(f, argnums=(0, 1))(arr(3), arr(2))
    np.testing.assert_allclose(gx, [4.0] * 3)
    np.testing.assert_allclose(gy, [9.0] * 2)


def test_delete_reads_as_a_scatter_of_positions():
    def f(x):
        return np.sum(np.delete(x, 1) ** 2)
    assert "scatter_to(" in source(grad(f)) and "positions(x)" in source(grad(f))
    np.testing.assert_allclose(grad(f)(np.array([1.0, 2.0, 3.0])), [2.0, 0.0, 6.0])


# --- variants without a rule: refused at the user's line, never silently wrong --------------------
def moving_base(x): return np.sum(np.logspace(0.0, 1.0, 3, base=x[0]))
def moving_period(x): return np.sum(np.unwrap(x, period=x[0] + 3.0))
def moving_discont(x): return np.sum(np.unwrap(x, discont=x[0]))


@pytest.mark.parametrize("f", [moving_base, moving_period, moving_discont])
def test_variants_without_a_rule_are_refused_at_the_users_line(f):
    check_refused_at_its_line(f, distinct(4), NoDerivativeError)
