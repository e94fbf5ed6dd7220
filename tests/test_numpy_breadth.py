"""NumPy breadth (issue 10): one table of functions, each over several shapes and axes, checked
the way autograd's combo_check does: forward mode against central finite differences, reverse
against forward by the dot-product test, and (order 2) the derivative functions themselves the
same way, which checks forward over forward, forward over reverse and reverse over reverse."""
import numpy as np
import pytest

from adcompile import NoDerivativeError, grad, hessian, jacrev, jvp, source
from checks import check_complex_direction, numeric_grad
from adcompile.higher import check_grads

R = np.random.default_rng(1)


def arr(*shape, lo=-1.0, hi=1.0):
    return R.uniform(lo, hi, size=shape)


def distinct(*shape):
    """Values far from ties (sort, max): a shuffled range with a little noise."""
    n = int(np.prod(shape))
    return (R.permutation(n) + R.uniform(0.1, 0.4, n)).reshape(shape) / n


def case(f, *args, order=1, **tol):
    shape = "x".join(map(str, np.shape(args[0])))
    return pytest.param(f, args, order, tol, id=f"{f.__name__}-{shape}")


# --- arrangement ---------------------------------------------------------------------------------
def roll_flat(x): return np.sin(np.roll(x, 2))
def roll_axes(x): return np.roll(x, (1, -1), axis=(0, 1)) * x
def diag_vec(x): return np.diag(x, 1) ** 2
def diag_mat(x): return np.diag(x, -1) * np.diag(x)[:2]
def diagonal_3d(x): return np.diagonal(x, offset=1, axis1=0, axis2=2) ** 2
def triangles(x): return np.triu(x, 1) * np.tril(x) + np.tril(x, -1) ** 2
def flips(x): return np.flipud(x) * np.fliplr(x) ** 2 + np.flip(x, 1)
def rotations(x): return np.rot90(x) ** 2 + np.rot90(x, 2, axes=(0, 1)).T[:, :1]
def rot_3d(x): return np.rot90(x, -1, axes=(1, 2)) * 2.0
def axes_moved(x): return np.rollaxis(x, 2, 0) ** 2 + np.moveaxis(x, 0, -1).transpose(1, 2, 0)
def axes_swapped(x): return np.swapaxes(x, 0, 2) * np.rollaxis(x, 0, 3).transpose(1, 0, 2)
def at_least(x): return np.atleast_3d(x) * np.atleast_2d(x).T[None] + np.atleast_1d(x[0, 0])
def pad_constant(x): return np.pad(x, ((1, 0), (2, 1))) ** 2
def pad_width_one(x): return np.sin(np.pad(x, 1))
def pad_edge(x): return np.pad(x, 2, mode="edge") ** 2
def pad_reflect(x): return np.pad(x, ((1, 2), (0, 2)), mode="reflect") ** 2
def pad_wrap(x): return np.pad(x, ((2, 1), (1, 1)), mode="wrap") ** 3
def appended(x): return np.append(x, x[0] ** 2) * 2.0
def appended_axis(x): return np.append(x ** 2, x[:1], axis=0) * 3.0
def kron_same(x): return np.kron(x, x[::-1] ** 2)
def kron_mixed(x): return np.kron(x[0], x) + np.kron(x, np.ones((2, 1)))[:, :3].sum()
def tiled(x): return np.tile(x, (2, 1, 2)) ** 2
def repeated(x): return np.repeat(x, 2, axis=1) ** 2 + np.repeat(x, [1, 2, 0], axis=1).sum()
def splits(x):
    a, b = np.split(x, 2, axis=1)
    c, d, e = np.array_split(x, 3, axis=0)
    return a * b + np.sum(c * c) + np.sum(d) * np.sum(e ** 3)
def more_splits(x):
    a, b = np.hsplit(x, 2)
    c, d = np.vsplit(x, [1])
    e, f = np.dsplit(x[None], 2)
    return np.sum(a * b) + np.sum(c ** 2) * np.sum(d) + np.sum(e * f)
def column_stacked(x): return np.column_stack((x[0], x[1] ** 2, x[:, :2])) ** 2
def row_stacked(x): return np.vstack((x[0], x ** 2))[1:] * np.dstack((x, x * 2))[..., 1]
def dims(x):
    return np.expand_dims(x, 1) * np.squeeze(x[:, None], 1)[:, None] \
        + np.broadcast_to(x[0], (3, 1, 4))
def taken(x): return np.take(x, [2, 0, 2]) ** 2 + np.take(x, [1, 1, 0], axis=1).sum()
def taken_along(x): return np.take_along_axis(x, np.array([[0, 2], [1, 1], [2, 0]]), 1) ** 2
def one_branch(x): return np.where(x > 0, x ** 2, 0.0) + np.where(x < 0.5, 1.0, np.sin(x))


ARRANGEMENT = [
    case(roll_flat, arr(5), order=2), case(roll_flat, arr(2, 3)), case(roll_axes, arr(3, 4)),
    case(diag_vec, arr(3), order=2), case(diag_mat, arr(3, 4), order=2),
    case(diagonal_3d, arr(3, 2, 4), order=2), case(triangles, arr(3, 4), order=2),
    case(flips, arr(3, 4)), case(rotations, arr(2, 3), order=2), case(rot_3d, arr(2, 3, 4)),
    case(axes_moved, arr(2, 3, 4), order=2), case(axes_swapped, arr(2, 3, 4)),
    case(at_least, arr(2, 3)), case(pad_constant, arr(2, 3), order=2),
    case(pad_width_one, arr(2, 2)), case(pad_edge, arr(2, 3), order=2),
    case(pad_reflect, arr(3, 3), order=2), case(pad_wrap, arr(3, 2)),
    case(appended, arr(3, 2)), case(appended_axis, arr(3, 2), order=2),
    case(kron_same, arr(2, 3), order=2), case(kron_mixed, arr(2, 3), order=2),
    case(tiled, arr(2, 3), order=2), case(repeated, arr(2, 3)),
    case(splits, arr(3, 4), order=2), case(more_splits, arr(2, 4, 2)),
    case(column_stacked, arr(3, 3), order=2), case(row_stacked, arr(2, 3)),
    case(dims, arr(3, 4)), case(taken, arr(2, 3), order=2), case(taken_along, arr(3, 3), order=2),
    case(one_branch, arr(2, 3), order=2),
]


@pytest.mark.parametrize("f, args, order, tol", ARRANGEMENT)
def test_arrangement(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


# --- elementwise, reductions, sorting ------------------------------------------------------------
def arccosh_(x): return np.arccosh(x + 2.0)
def angles(x): return np.sin(np.deg2rad(x * 90)) * np.rad2deg(x) + np.radians(x) * np.degrees(x)
def sinc_(x): return np.sinc(x)
def sinc_near_zero(x): return np.sinc(x * 1e-4)
def logaddexps(x, y): return np.logaddexp(x, y) * np.logaddexp2(x, y[0])
def hypot_(x, y): return np.hypot(x, y)
def diffs(x): return np.diff(x) ** 2 + np.diff(x, 2, axis=0).sum()
def diff_first_axis(x): return np.diff(x, axis=0) * 2.0
def cumulative(x): return np.cumsum(x, axis=1) * np.cumprod(x, axis=1)
def cumprod_flat(x): return np.cumprod(x)
def products(x): return np.prod(x, axis=0) + np.prod(x)
def spreads(x): return np.var(x, axis=1, ddof=1) + np.std(x, axis=0, ddof=0, keepdims=True).sum()
def averages(x):
    return np.average(x, axis=1, weights=np.array([1.0, 2.0, 3.0])) ** 2 + np.average(x)
def averages_2d(x): return np.average(x ** 2, axis=0, weights=np.arange(1.0, 7.0).reshape(2, 3))
def cast(x): return (x * 2).astype(float) ** 2 + x.astype(np.float64)
def clipped(x): return np.clip(x, -0.5, 0.5) ** 2 + np.clip(x, x[0], 0.9).sum()
def fmaxmin(x, y): return np.fmax(x, y) * np.fmin(x, y[::-1])
def nan_replaced(x): return np.nan_to_num(np.log(x)) * x
def sorted_(x): return np.sort(x) * np.arange(4.0) + np.sort(x, axis=0) ** 2
def sorted_flat(x): return np.sort(x ** 3, axis=None) * np.arange(12.0)
def partitioned(x): return np.partition(x, 2, axis=1)[:, :3] ** 2
def maxmin(x): return np.max(x, axis=1) ** 2 + np.min(x, axis=0).sum() + np.max(x)
def selected(x): return np.select([x > 0.5, x < 0], [x ** 2, np.sin(x)], 1.5 * x)
def crossed(x, y): return np.cross(x, y) ** 2
def dots(x): return np.trace(x) * np.linalg.norm(x) + np.trace(x, 1)


POS = arr(3, 4, lo=0.3, hi=1.5)
ELEMENTWISE = [
    case(arccosh_, arr(5), order=2), case(angles, arr(2, 3), order=2), case(sinc_, arr(6), order=2),
    case(sinc_near_zero, arr(4), order=2, rtol=1e-4), case(sinc_, np.array([0.0, 1.0, -2.5])),
    case(logaddexps, arr(2, 3), arr(2, 3), order=2), case(hypot_, arr(3), arr(2, 3), order=2),
    case(diffs, arr(3, 4), order=2), case(diff_first_axis, arr(3, 4)),
    case(cumulative, POS, order=2), case(cumprod_flat, POS, order=2), case(products, POS, order=2),
    case(spreads, arr(3, 4), order=2), case(averages, arr(2, 3), order=2),
    case(averages_2d, arr(2, 3), order=2), case(cast, arr(2, 2), order=2),
    case(clipped, arr(3, 3) * 0.9, order=2), case(fmaxmin, arr(4), arr(4), order=2),
    case(nan_replaced, np.array([0.5, 1.5, 2.0]), order=2), case(sorted_, distinct(3, 4), order=2),
    case(sorted_flat, distinct(3, 4), order=2), case(partitioned, distinct(3, 5), order=2),
    case(maxmin, distinct(3, 4), order=2), case(selected, arr(3, 4), order=2),
    case(crossed, arr(2, 3), arr(3), order=2), case(dots, arr(3, 3), order=2),
]


@pytest.mark.parametrize("f, args, order, tol", ELEMENTWISE)
def test_elementwise_and_reductions(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def test_max_splits_the_gradient_among_ties():
    def f(x):
        return np.max(x)
    assert grad(f)(np.array([1.0, 3.0, 3.0, 0.0])).tolist() == [0.0, 0.5, 0.5, 0.0]


def test_fmax_ignores_nan():
    def f(x, y):
        return np.sum(np.fmax(x, y))
    gx, gy = grad(f, argnums=(0, 1))(np.array([np.nan, 1.0]), np.array([2.0, 0.0]))
    assert gx.tolist() == [0.0, 1.0] and gy.tolist() == [1.0, 0.0]


def test_a_cast_to_integers_has_derivative_zero():
    def f(x):
        return np.sum(x.astype(int) * x)
    assert grad(f)(np.array([1.5, 2.5, -0.5])).tolist() == [1.0, 2.0, 0.0]


# --- np.stack and friends of a list built in a loop or passed in ---------------------------------
def stack_loop(x):
    rows = []
    for i in range(3):
        rows.append(x * i + x ** 2)
    return np.stack(rows, axis=1) ** 2


def concatenate_loop(x):
    parts = []
    for i in range(1, 4):
        parts.append(x * i)
        parts.append(x[:2] ** 2)
    return np.concatenate(parts) ** 2


def hvstack_loop(x):
    rows = []
    for i in range(2):
        rows = rows + [np.sin(x * i)]
    return np.hstack(rows) * np.vstack(rows)[0].sum()


def stack_param(xs):
    return np.sum(np.stack(xs) ** 2 * np.array([[1.0], [2.0]]))


# (order 1: reverse over reverse through a loop is issue 10's other part; forward over reverse
# is checked below)
SEQUENCES = [case(stack_loop, arr(2, 3)), case(concatenate_loop, arr(4)),
             case(hvstack_loop, arr(3))]


@pytest.mark.parametrize("f, args, order, tol", SEQUENCES)
def test_stacks_of_lists_built_at_run_time(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def test_stack_of_a_list_argument():
    xs = [arr(3), arr(3)]
    g = grad(stack_param)(xs)
    assert isinstance(g, list) and len(g) == 2  # a list's gradient is a list (its structure)
    np.testing.assert_allclose(g[0], 2 * xs[0])
    np.testing.assert_allclose(g[1], 4 * xs[1])
    assert "stack_grad" in source(grad(stack_param))


def test_second_order_of_a_stack_built_in_a_loop():
    def f(x):
        rows = []
        for i in range(3):
            rows.append(np.sin(x * i))
        return np.sum(np.stack(rows) ** 2)
    x = arr(3)
    h = hessian(f)(x)
    eps = 1e-6
    numeric = np.stack([(grad(f)(x + eps * e) - grad(f)(x - eps * e)) / (2 * eps)
                        for e in np.eye(3)])
    np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-6)


def stack_array(x):
    return np.stack(x, axis=1)[:, 0] * np.concatenate(x)[:3] + np.vstack(x)[0] * np.hstack(x)[:3]


def test_stacks_of_an_array_take_its_rows():
    check_grads(stack_array, (arr(2, 3),), order=2)


# --- linear algebra ------------------------------------------------------------------------------
def spd(*shape):
    a = arr(*shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def cholesky_(a): return np.linalg.cholesky(a + np.swapaxes(a, -1, -2))
def eigh_(a):
    w, v = np.linalg.eigh(a + np.swapaxes(a, -1, -2))
    return w ** 2 + np.sum(v * v[..., :1, :], axis=-1)  # (a function of v free of its signs)
def eigvalsh_(a): return np.linalg.eigvalsh(a + a.T) ** 2
def svd_(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return s + np.sum(u * u[..., :1, :], axis=-2) + np.sum(vh * vh[..., :, :1], axis=-1)
def svd_square(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u[:, 0] * u[:, 1] ** 2) + np.sum(s ** 2) + np.sum(vh[0] ** 2 * vh[1])
def svd_values(a): return np.linalg.svd(a, compute_uv=False)
def qr_(a):
    q, r = np.linalg.qr(a)
    return q[..., :3, :] @ r
def pinv_(a): return np.linalg.pinv(a)
def powers(a): return np.linalg.matrix_power(a, 3) + np.linalg.matrix_power(a, -2)
def stacks(a, b): return np.linalg.solve(a, b) + np.linalg.inv(a) @ b
def dets(a): return np.linalg.det(a) + np.linalg.slogdet(a)[1]
EIG_A = np.array([[0.5, -1.0, 0.2], [0.8, 0.1, -0.3], [0.1, 0.4, 0.9]])  # eigenvalues complex


def eig_(a):
    w, v = np.linalg.eig(a)  # (v itself, complex, in LAPACK's phase: its largest entries real)
    return np.expand_dims(np.real(w) * np.imag(w), -2) + np.real(v) ** 2 + np.imag(v)
def eig_real(a):
    w, v = np.linalg.eig(a @ a.T + np.diag([0.0, 1.0, 2.0]))  # real eigenvalues and vectors
    return w * v
def eigvals_(a):
    w = np.linalg.eigvals(a)
    return np.real(w) + np.imag(w) ** 2
def lstsq_(a, b): return np.linalg.lstsq(a, b, rcond=None)[0]
def lstsq_vector(a, b): return np.linalg.lstsq(a, b[:, 0])[0] ** 2
def lstsq_all(a, b):
    x, res, rank, sv = np.linalg.lstsq(a, b)  # (res is empty for a wide a)
    return np.sum(x ** 2) + np.sum(res) * 0.5 + np.sum(sv ** 2) + rank
def lstsq_all_vector(a, b):
    x, res, rank, sv = np.linalg.lstsq(a, b[:, 0])
    return np.sum(x) * res[0] + sv[0]
def vector_norms(x):
    return (np.linalg.norm(x, 3, axis=1) + np.linalg.norm(x, 2, axis=0).sum()
            + np.linalg.norm(x, 1, axis=1) + np.linalg.norm(x, np.inf, axis=0).sum()
            + np.linalg.norm(x, 4, axis=-1) + np.linalg.norm(x, 0.5, axis=1)
            + np.linalg.norm(x, -3, axis=1) + np.linalg.norm(x, 0, axis=1) * x[:, 0])
def matrix_norm_nuc(x): return np.linalg.norm(x, "nuc") + np.linalg.norm(x, "nuc", keepdims=True)
def matrix_norm_2(x): return np.linalg.norm(x, 2) + np.linalg.norm(x, -2)
def matrix_norm_1(x): return np.linalg.norm(x, 1) + np.linalg.norm(x, -np.inf)
def matrix_norm_axes(x): return np.linalg.norm(x, np.inf, axis=(2, 0), keepdims=True) * 2.0


LINALG = [
    case(cholesky_, spd(3, 3), order=2), case(cholesky_, spd(2, 3, 3)),
    case(eigh_, arr(3, 3), order=2), case(eigh_, arr(2, 3, 3)), case(eigvalsh_, arr(3, 3), order=2),
    case(eig_, EIG_A, order=2), case(eig_, arr(2, 4, 4)), case(eig_real, arr(3, 3), order=2),
    case(eigvals_, arr(4, 4), order=2), case(eigvals_, arr(2, 3, 3)),
    case(lstsq_, arr(5, 3), arr(5, 2), order=2), case(lstsq_, arr(3, 5), arr(3, 2), order=2),
    case(lstsq_, arr(3, 3), arr(3, 2)), case(lstsq_vector, arr(4, 3), arr(4, 2), order=2),
    case(lstsq_all, arr(5, 3), arr(5, 2), order=2), case(lstsq_all, arr(3, 5), arr(3, 2), order=2),
    case(lstsq_all_vector, arr(5, 3), arr(5, 2), order=2),
    case(svd_, arr(4, 3), order=2), case(svd_, arr(3, 4)), case(svd_, arr(2, 3, 3)),
    case(svd_square, arr(3, 3), order=2), case(svd_values, arr(4, 3), order=2),
    case(qr_, arr(4, 3), order=2), case(qr_, arr(2, 3, 3)),
    case(pinv_, arr(4, 3), order=2), case(pinv_, arr(3, 4)),
    case(powers, spd(3, 3) / 3, order=2), case(stacks, spd(2, 3, 3), arr(2, 3, 2), order=2),
    case(dets, spd(2, 3, 3), order=2), case(vector_norms, arr(3, 4), order=2),
    case(matrix_norm_nuc, arr(3, 4), order=2), case(matrix_norm_2, arr(4, 3)),
    case(matrix_norm_1, distinct(3, 4)), case(matrix_norm_axes, distinct(3, 2, 4)),
]


@pytest.mark.parametrize("f, args, order, tol", LINALG)
def test_linear_algebra(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def eig_sum(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.real(w) * np.imag(w)) + np.sum(np.real(v) ** 2 * np.imag(v)) \
        + np.sum(np.real(np.linalg.eigvals(a)) ** 2)


def test_eig_of_a_complex_matrix_along_a_complex_direction():
    z = arr(3, 3) + 1j * arr(3, 3)
    u = arr(3, 3) + 1j * arr(3, 3)
    check_complex_direction(eig_sum, z, u)


def test_eig_at_a_repeated_eigenvalue_is_refused():
    for a in (np.eye(3), np.diag([1.0, 2.0, 2.0])):
        with pytest.raises(NotImplementedError, match="repeated eigenvalue"):
            grad(eig_sum)(a)
        with pytest.raises(NotImplementedError, match="repeated eigenvalue"):
            jvp(eig_sum, (a,), (np.ones((3, 3)),))


def test_lstsq_without_full_rank_is_refused():
    with pytest.raises(NotImplementedError, match="without full rank"):
        grad(lstsq_all)(np.ones((4, 2)), np.ones((4, 2)))


def test_full_svd_of_a_rectangular_matrix_is_refused():
    def f(a):
        return np.sum(np.linalg.svd(a)[0])
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        grad(f)(arr(4, 3))


# --- einsum with '...' and in the sublist form ---------------------------------------------------
def einsum_batched(a, b): return np.einsum("...ij,...jk->...ik", a, b)
def einsum_broadcast(a, b): return np.einsum("...ij,jk->...ik", a, b) ** 2
def einsum_implicit(a): return np.einsum("...ii", a) + np.einsum("...i,...i", a[..., 0], a[..., 1])
def einsum_sublist(a, b): return np.einsum(a, [0, 1], b, [1, 2], [0, 2]) ** 2
def einsum_sublist_ellipsis(a, b): return np.einsum(a, [..., 0, 1], b, [1], [..., 0])
def einsum_sublist_implicit(a): return np.einsum(a, [0, 1], a, [1, 0])


EINSUM = [
    case(einsum_batched, arr(2, 3, 4), arr(2, 4, 2), order=2),
    case(einsum_broadcast, arr(2, 2, 3), arr(3, 2), order=2),
    case(einsum_batched, arr(1, 3, 4), arr(2, 4, 2)), case(einsum_implicit, arr(2, 3, 3), order=2),
    case(einsum_sublist, arr(2, 3), arr(3, 4), order=2),
    case(einsum_sublist_ellipsis, arr(2, 2, 3), arr(3), order=2),
    case(einsum_sublist_implicit, arr(3, 3), order=2),
]


@pytest.mark.parametrize("f, args, order, tol", EINSUM)
def test_einsum(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


# --- SciPy ---------------------------------------------------------------------------------------
def scipy_cases():
    special = pytest.importorskip("scipy.special")
    stats = pytest.importorskip("scipy.stats")

    def gammas(x): return special.gammaln(x) * special.digamma(x) + special.polygamma(2, x) \
        + special.gamma(x) * special.loggamma(x)
    def errors(x): return special.erf(x) + special.erfc(x * 2) * special.erfinv(x / 2)
    def errors_inverse(x): return special.erfcinv(x / 2 + 0.6) ** 2
    def logistic(x): return special.logit(special.expit(x) * 0.5 + 0.2) + special.logsumexp(x)
    def xlogs(x, y): return special.xlogy(x, y + 1.5) + special.xlog1py(x, y + 0.5)
    def bessel(x): return special.i0(x) * special.i1(x) + special.i0e(x) + special.i1e(x * 2)
    def betas(a, b): return special.beta(a + 2, b + 2) + special.betaln(a + 2, b * 0.5 + 2)
    def normal(x): return special.ndtr(x) * special.log_ndtr(x) + special.ndtri(x / 3 + 0.5)
    def norm_x(x):
        return stats.norm.pdf(x) + stats.norm.logpdf(x) * stats.norm.cdf(x) \
            + stats.norm.logcdf(x)
    def norm_all(x, m, s): return stats.norm.logpdf(x, m, s + 2) + stats.norm.cdf(x, m, s + 2) \
        * stats.norm.pdf(x, m) + stats.norm.logcdf(x, m, s + 2)

    pos = arr(4, lo=0.5, hi=3.0)
    return [(gammas, (pos,)), (errors, (arr(4),)), (errors_inverse, (arr(3),)),
            (logistic, (arr(4),)), (xlogs, (pos, arr(4, lo=0.2))), (bessel, (arr(5),)),
            (betas, (arr(3), arr(3))), (normal, (arr(4),)), (norm_x, (arr(4),)),
            (norm_all, (arr(4), arr(4), arr(4)))]


def test_scipy_special_and_stats():
    for f, args in scipy_cases():
        check_grads(f, args, order=2)


def scipy_more_cases():
    stats = pytest.importorskip("scipy.stats")
    linalg = pytest.importorskip("scipy.linalg")

    def student(x, df, m, s): return stats.t.logpdf(x, df + 3, m, s + 2) + stats.t.pdf(x, df + 3)
    def gammas(x, a, s):
        return stats.gamma.logpdf(x + 2, a + 2, 0.5, s + 2) + stats.gamma.pdf(x + 2, a + 2)
    def betas(x, a, b): return stats.beta.logpdf(x * 0.3 + 0.5, a + 2, b + 2) \
        + stats.beta.pdf(x * 0.3 + 0.5, a + 2, b + 2, -0.1, 1.2)
    def poisson(mu): return stats.poisson.logpmf(np.array([0, 2, 5]), mu + 2)
    def mvn(x, m, a): return stats.multivariate_normal.logpdf(x, m, a @ a.T + np.eye(3))
    def mvn_one(x, m, a): return stats.multivariate_normal.logpdf(x[0], m, a @ a.T + np.eye(3))
    def triangular(a, b):
        return linalg.solve_triangular(a + 3 * np.eye(3), b, lower=True) \
            + linalg.solve_triangular(a + 3 * np.eye(3), b, trans=1) \
            + linalg.solve_triangular(a, b, trans="T", unit_diagonal=True, lower=True)
    def triangular_vector(a, b): return linalg.solve_triangular(a + 3 * np.eye(3), b[:, 0])
    def root(a): return linalg.sqrtm(a @ a.T + np.eye(3))
    def sylvester(a, b, q): return linalg.solve_sylvester(a + 3 * np.eye(3), b + 3 * np.eye(3), q)

    return [(student, (arr(4), arr(4), arr(4), arr(4))), (gammas, (arr(3), arr(3), arr(3))),
            (betas, (arr(3), arr(3), arr(3))), (poisson, (arr(3),)),
            (mvn, (arr(4, 3), arr(3), arr(3, 3))), (mvn_one, (arr(4, 3), arr(3), arr(3, 3))),
            (triangular, (arr(3, 3), arr(3, 2))), (triangular_vector, (arr(3, 3), arr(3, 2))),
            (root, (arr(3, 3),)), (sylvester, (arr(3, 3), arr(3, 3), arr(3, 3)))]


@pytest.mark.parametrize("k", range(10))
def test_scipy_distributions_and_linalg(k):
    f, args = scipy_more_cases()[k]
    check_grads(f, args, order=2)


# --- np.gradient and complex parts ---------------------------------------------------------------
def gradient_1d(x): return np.gradient(x) ** 2 + np.gradient(x, 0.5)
def gradient_2d(x):
    gx, gy = np.gradient(x)
    return gx * gy + np.gradient(x, axis=1) ** 2 + np.gradient(x, 2.0, axis=0)


@pytest.mark.parametrize("f, args, order, tol", [
    case(gradient_1d, arr(5), order=2), case(gradient_1d, arr(2)),
    case(gradient_2d, arr(3, 4), order=2)])
def test_gradient(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def complex_parts(z):
    return np.sum(np.imag(z) ** 2 + np.angle(z) + z.real * z.imag)


def test_imag_and_angle_follow_jaxs_convention():
    z = np.array([1.0 + 2.0j, -0.5 + 0.3j, 2.0 - 1.0j])
    re, im, r2 = z.real, z.imag, np.abs(z) ** 2
    d_re = -im / r2 + im  # d f / d re(z)
    d_im = 2 * im + re / r2 + re  # d f / d im(z)
    np.testing.assert_allclose(grad(complex_parts)(z), d_re - 1j * d_im)
    u = np.array([0.3 - 0.2j, 0.1 + 0.5j, -0.4 + 0.1j])
    eps = 1e-6
    numeric = (complex_parts(z + eps * u) - complex_parts(z - eps * u)) / (2 * eps)
    np.testing.assert_allclose(jvp(complex_parts, (z,), (u,))[1], numeric, rtol=1e-6)
    # a real input: the imaginary part and the angle (away from 0) are constants
    x = np.array([0.5, 2.0, 1.5])
    np.testing.assert_allclose(grad(complex_parts)(x), np.zeros(3))


def parts_times_complex(z):
    return np.sum(np.real(np.real(z) * (1 + 1j)) + np.real(np.imag(z) * (2 + 3j))
                  + np.real(z.real * 1j) + np.real(np.angle(z) * 1j))


def test_a_real_parts_complex_adjoint_counts_by_its_real_part():
    # np.real(z) * (1 + 1j) hands np.real a complex adjoint; only its real part is d f / d re(z)
    # (the gradient was 4 + 0j, not 1 - 2j)
    z = np.array([1.0 + 2.0j, 0.5 - 1.0j])
    np.testing.assert_allclose(grad(parts_times_complex)(z), [1 - 2j, 1 - 2j])


def through_complex_numbers(x):
    z = x * (1.0 + 2.0j)
    return np.sum(np.abs(z) ** 2 + np.abs(z * z) + np.real(np.exp(1j * x)))


def abs_meets_complex(x):
    r = np.abs(x * (1.0 - 1.0j))  # real, then multiplied by a complex number
    return np.sum(np.real(r * (2.0 + 3.0j)) + np.imag(r * r * 1j))


@pytest.mark.parametrize("f", [through_complex_numbers, abs_meets_complex])
def test_a_real_input_through_complex_numbers_gets_a_real_gradient(f):
    """grad of a real f of real x through complex intermediates was complex: 14+0j for
    |x(1+2j)|^2 + |(x(1+2j))^2|, and -sin(x) + 0.955j for real(exp(1j x)) (JAX: the gradient of
    a real input is real); an adjoint of np.abs's real result that met a complex number kept its
    imaginary part, which reached the complex operand (second derivatives came out wrong)."""
    x = np.array([0.7, -0.4])
    g = grad(f)(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, numeric_grad(f, (x,), 0), rtol=1e-6, atol=1e-8)
    H = hessian(f)(x)
    assert H.dtype == np.float64
    np.testing.assert_allclose(jacrev(grad(f))(x), H, rtol=1e-9, atol=1e-12)
    eps = 1e-5
    fd = [(grad(f)(x + eps * e) - grad(f)(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    np.testing.assert_allclose(H, np.array(fd).T, rtol=1e-5, atol=1e-6)


def array_of_rows(x):
    rows = []
    for i in range(3):
        rows.append(np.sin(x * i))
    return np.array(rows) ** 2


def array_param(xs):
    return np.sum(np.array(xs) ** 2)


def array_of_number(x):
    return np.array(x[0] * x[1]) ** 2


def test_np_array_of_a_list_built_in_a_loop_or_passed_in():
    check_grads(array_of_rows, (arr(2),), order=1)
    check_grads(array_of_number, (arr(2),), order=2)  # a 0-d array, differentiated again
    g = grad(array_param)([np.ones(2), 2 * np.ones(2)])
    assert isinstance(g, list) and [v.tolist() for v in g] == [[2.0, 2.0], [4.0, 4.0]]
    x = arr(2, 2)
    np.testing.assert_allclose(grad(array_param)(x), 2 * x)  # an array: a copy


# --- a sweep over shapes, axes and keepdims (autograd's combo_check) -----------------------------
def over_axis(name, axis, keepdims=None):
    """np.<name>(x, axis=axis[, keepdims=keepdims]) as a function of x."""
    fn = np.linalg.norm if name == "linalg.norm" else getattr(np, name)
    if keepdims is None:
        def f(x):
            return fn(x, axis=axis)
    else:
        def f(x):
            return fn(x, axis=axis, keepdims=keepdims)
    return f


def with_ddof(name):
    fn = getattr(np, name)

    def f(x):
        return fn(x, axis=0, ddof=1)
    return f


SHAPES = [(4,), (2, 3), (2, 3, 2)]
REDUCTIONS = ["sum", "mean", "prod", "max", "min", "var", "std", "linalg.norm"]
SCANS = ["cumsum", "cumprod", "sort", "diff"]
SWEEP, IDS = [], []
for _shape in SHAPES:
    for _axis in [None, 0, -1] + ([1] if len(_shape) > 1 else []):
        for _name in REDUCTIONS:
            for _keep in (False, True):
                SWEEP.append((over_axis(_name, _axis, _keep), _shape))
                IDS.append(f"{_name}-axis{_axis}-keepdims{_keep}-{_shape}")
        for _name in SCANS:
            if _axis is not None or _name in ("cumsum", "cumprod"):
                SWEEP.append((over_axis(_name, _axis), _shape))
                IDS.append(f"{_name}-axis{_axis}-{_shape}")
    for _name in ("var", "std"):
        SWEEP.append((with_ddof(_name), _shape))
        IDS.append(f"{_name}-ddof1-{_shape}")


@pytest.mark.parametrize("f, shape", SWEEP, ids=IDS)
def test_sweep_of_shapes_and_axes(f, shape):
    x = distinct(*shape) + 0.5  # positive (prod, cumprod) and without ties (max, sort)
    check_grads(f, (x,), order=2)


def along(name, axis):
    """A rearrangement along `axis`, times a fixed array so every output entry matters."""
    if name == "roll":
        def f(x):
            return np.roll(x, 1, axis=axis) * x
    elif name == "flip":
        def f(x):
            return np.flip(x, axis) * x
    elif name == "repeat":
        def f(x):
            return np.repeat(x, 2, axis=axis) ** 2
    elif name == "take":
        def f(x):
            return np.take(x, [0, 1, 1], axis=axis) ** 2
    elif name == "expand_dims":
        def f(x):
            return np.squeeze(np.expand_dims(x, axis) ** 2, axis)
    elif name == "moveaxis":
        def f(x):
            return np.moveaxis(x, axis, 0) ** 2
    elif name == "concatenate":
        def f(x):
            return np.concatenate([x, x ** 2], axis=axis)
    elif name == "stack":
        def f(x):
            return np.stack([x, x ** 2], axis=axis)
    elif name == "diff2":
        def f(x):
            return np.diff(x ** 2, n=2, axis=axis)
    elif name == "split":
        def f(x):
            a, b = np.array_split(x ** 2, 2, axis=axis)
            return np.sum(a) * np.sum(b ** 2)
    elif name == "sort_desc":
        def f(x):
            return np.flip(np.sort(x, axis=axis), axis) * np.cumsum(x, axis=axis)
    return f


ALONG = ["roll", "flip", "repeat", "take", "expand_dims", "moveaxis", "concatenate", "stack",
         "diff2", "split", "sort_desc"]
SWEEP2 = [(along(n, a), s, f"{n}-axis{a}-{s}") for s in [(3, 4), (2, 3, 3)] for a in (0, 1, -1)
          for n in ALONG]


@pytest.mark.parametrize("f, shape", [c[:2] for c in SWEEP2], ids=[c[2] for c in SWEEP2])
def test_sweep_of_rearrangements_along_axes(f, shape):
    check_grads(f, (distinct(*shape),), order=2)


# --- multi_dot and convolutions ------------------------------------------------------------------
def chain(a, b, c):
    return np.sum(np.linalg.multi_dot([a, b, c]) ** 2) * np.linalg.multi_dot((a[0], b, c, a))
def convolutions(x, y):
    return np.concatenate([np.convolve(x, y), np.convolve(x, y, "same"),
                           np.convolve(y, x, mode="valid"), np.correlate(x, y),
                           np.correlate(x, y, "full"), np.correlate(y, x, "same")])


@pytest.mark.parametrize("f, args, order, tol", [
    case(chain, arr(2, 3), arr(3, 4), arr(4, 2), order=2),
    case(convolutions, arr(5), arr(3), order=2), case(convolutions, arr(4), arr(4), order=2),
    case(convolutions, arr(2), arr(4), order=2)])
def test_products_of_several_factors(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def scipy_linalg_cases():
    linalg = pytest.importorskip("scipy.linalg")

    def aliases(a, b):
        return linalg.inv(a + 3 * np.eye(3)) @ b + linalg.solve(a + 3 * np.eye(3), b) \
            + linalg.det(a + 3 * np.eye(3)) + linalg.norm(a) + linalg.pinv(a)[:, :2]
    def upper(a): return linalg.cholesky(a @ a.T + np.eye(3)) ** 2
    def lower(a): return linalg.cholesky(a @ a.T + np.eye(3), lower=True) ** 2
    def exponential(a): return linalg.expm(a) ** 2
    return [(aliases, (arr(3, 3), arr(3, 2))), (upper, (arr(3, 3),)), (lower, (arr(3, 3),)),
            (exponential, (arr(3, 3),))]


@pytest.mark.parametrize("k", range(4))
def test_scipy_linalg(k):
    f, args = scipy_linalg_cases()[k]
    check_grads(f, args, order=2)


def cholesky_solves():
    linalg = pytest.importorskip("scipy.linalg")

    def solve_upper(a, b): return linalg.cho_solve(linalg.cho_factor(a @ a.T + np.eye(3)), b)
    def solve_lower(a, b):
        c, low = linalg.cho_factor(a @ a.T + np.eye(3), lower=True)
        return linalg.cho_solve((c, low), b[:, 0]) * linalg.cho_solve((c, low), b)[:, 1]
    def factor(a): return linalg.cho_factor(a @ a.T + np.eye(3))[0] ** 2  # (both triangles)
    def factor_lower(a): return linalg.cho_factor(a @ a.T + np.eye(3), lower=True)[0] * 2.0
    return [(solve_upper, (arr(3, 3), arr(3, 2))), (solve_lower, (arr(3, 3), arr(3, 2))),
            (factor, (arr(3, 3),)), (factor_lower, (arr(3, 3),))]


@pytest.mark.parametrize("k", range(4))
def test_scipy_cho_factor_and_cho_solve(k):
    f, args = cholesky_solves()[k]
    check_grads(f, args, order=2)


def einsum_optimized(a, b):
    return np.einsum("ij,jk->ik", a, b, optimize=True) ** 2


def test_einsum_with_optimize():
    check_grads(einsum_optimized, (arr(2, 3), arr(3, 2)), order=2)


def test_dirichlet():
    stats = pytest.importorskip("scipy.stats")

    def dirichlet_(z, alpha):
        x = np.exp(z) / np.sum(np.exp(z), axis=0)  # on the simplex along the first axis
        return stats.dirichlet.logpdf(x, np.exp(alpha) + 0.5)

    check_grads(dirichlet_, (arr(3), arr(3)), order=2)
    check_grads(dirichlet_, (arr(3, 4), arr(3)), order=2)


def diff_and_pad(x):
    return np.sum(np.diff(x) ** 2) + np.sum(np.pad(x, 1, mode="edge") ** 2)


def test_float32_stays_float32():
    x = np.array([0.5, 1.0, 1.5, 2.5], dtype=np.float32)
    assert grad(diff_and_pad)(x).dtype == np.float32


def count_norm(x):
    return np.linalg.norm(x, 0) * x[0]


def test_the_zero_norm_counts_entries():
    x = np.array([0.5, 0.0, 2.0])
    assert grad(count_norm)(x).tolist() == [2.0, 0.0, 0.0]


def test_take_along_axis_with_broadcast_indices():
    def f(x):
        return np.take_along_axis(x, np.array([[2, 0]]), 1) ** 2
    check_grads(f, (arr(3, 3),), order=2)


def test_complex_matrices_are_refused_where_rules_hold_for_real_ones():
    def f(a):
        return np.sum(np.abs(np.linalg.pinv(a)))

    def g(a):
        return np.real(np.sum(np.convolve(a[0], a[1])))
    z = arr(2, 2) + 1j * arr(2, 2)
    for fn in (f, g):
        with pytest.raises(NotImplementedError, match="real values only"):
            grad(fn)(z)


def stacked_twice(xs):
    return np.sum(np.stack(xs) ** 3) + np.sum(np.concatenate(xs) ** 2)


def summed_and_indexed(xs):
    return np.sum(xs[0]) + np.sum(sum(xs) * 2) + np.sum(np.vstack(xs))


def test_gradients_of_a_list_argument_add_part_by_part():
    xs = [arr(3), arr(3)]
    g = grad(stacked_twice)(xs)
    assert len(g) == 2
    for gi, xi in zip(g, xs):
        np.testing.assert_allclose(gi, 3 * xi ** 2 + 2 * xi)
    g = grad(summed_and_indexed)(xs)
    assert len(g) == 2
    np.testing.assert_allclose(g[0], np.full(3, 4.0))
    np.testing.assert_allclose(g[1], np.full(3, 3.0))


def nan_reductions(x):
    y = np.where(x > 0.6, np.nan, x)  # (np.nan where x > 0.6: no gradient there)
    return np.nansum(y ** 2, axis=0) + np.nanmean(y, axis=1).sum() * np.nanmax(y) \
        + np.nanmin(y, axis=0, keepdims=True)[0]


def test_nan_ignoring_reductions():
    # (fixed values: a column of values all above 0.6, all NaN, has a NaN minimum; drawn from the
    # shared stream, x depended on which tests ran before)
    x = np.array([[0.13, 0.92, 0.47, 0.71], [0.88, 0.35, 0.64, 0.21], [0.56, 0.77, 0.09, 0.98]])
    check_grads(nan_reductions, (x,), order=2)
    g = grad(lambda_free_nansum)(x)
    assert np.all(g[x > 0.6] == 0) and np.all(np.isfinite(g))


def lambda_free_nansum(x):
    return np.nanmean(np.where(x > 0.6, np.nan, x) ** 2) + np.nanmax(np.where(x > 0.6, np.nan, x))


def eigenvalue_energy(a):
    w, v = np.linalg.eigh(a)
    return np.sum(w * w)


def singular_cubes(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(s ** 3)


def first_eigenvector(a):
    w, v = np.linalg.eigh(a)
    return np.sum(v[:, 0] ** 4)


def test_repeated_eigenvalues_and_singular_values():
    """At the identity (every eigenvalue and singular value repeated) a function of the
    eigenvalues or singular values alone has a gradient, but eigh and svd gave NaN (0 times
    1 / 0 for the unused vectors); one that reads the vectors has none, and says so, as does
    the gradient's derivative, which needs the vectors' tangents (it was NaN)."""
    a = np.eye(3)
    np.testing.assert_allclose(grad(eigenvalue_energy)(a), 2 * a)
    np.testing.assert_allclose(grad(singular_cubes)(a), 3 * a)
    for refused in (lambda: grad(first_eigenvector)(a), lambda: hessian(eigenvalue_energy)(a)):
        with pytest.raises(NotImplementedError, match="repeated eigenvalue"):
            refused()  # (the gradient's own derivative needs the eigenvectors' tangents)
    b = np.diag([1.0, 2.0, 3.5])  # distinct: the vectors have a derivative
    assert np.all(np.isfinite(grad(first_eigenvector)(b)))


def abs_of_a_turning_complex_number(x):
    z = x + 1j * x ** 2  # its phase turns with x
    return np.sum(np.abs(z) ** 3 + np.abs(z))


def test_second_derivative_of_abs_of_complex_values():
    """np.abs's rule reads np.sign(z), which was differentiated as piecewise constant; for a
    complex z it is z / |z|, which turns with z: the Hessian was 17.15 where 18.38 is right."""
    x = np.array([0.7, -0.4])
    g = grad(abs_of_a_turning_complex_number)
    eps = 1e-5
    fd = np.array([(g(x + eps * e) - g(x - eps * e)) / (2 * eps) for e in np.eye(2)]).T
    np.testing.assert_allclose(hessian(abs_of_a_turning_complex_number)(x), fd, rtol=1e-6)
    np.testing.assert_allclose(jacrev(g)(x), fd, rtol=1e-6)
    z = np.array([0.3 - 0.8j, -1.1 + 0.2j])  # a complex input: forward over reverse agrees
    check_grads(lambda z: np.sum(np.abs(z) ** 3), (z,), order=2)
