"""NumPy breadth, forms that were refused (test_numpy_breadth.py's table style): .item(),
reshape/ravel/flatten in Fortran order, np.diff with prepend=/append=, reductions with where= and
initial=, and library calls that change an array in place (np.add.at, np.subtract.at, .sort(),
.fill(), np.copyto, np.fill_diagonal), which are read as the assignment `a[...] = new value`.
Each is checked forward against finite differences, reverse against forward, and (order 2) the
derivatives themselves."""
import numpy as np
import pytest

from adcompile import UnsupportedSyntaxError, grad, jvp
from adcompile.errors import OutsideRuleError
from adcompile.higher import check_grads
from test_numpy_breadth import arr, case, distinct


# --- one entry as a Python number ----------------------------------------------------------------
def item_of_one(x): return x[:1].item() * x + np.sin(x[1:2].reshape(1, 1).item()) ** 2
def item_at(x): return x.item(2) * x.item(0, 1) * x
def item_of_a_sum(x): return np.sum(x ** 2).item() * x


# --- Fortran order -------------------------------------------------------------------------------
def reshaped_f(x): return np.sin(x.reshape(3, 2, order="F")) * np.arange(6.0).reshape(3, 2)
def reshaped_f_function(x): return np.reshape(x, (2, -1), order="F") ** 2
def reshaped_c(x): return x.reshape((2, 3), order="C") ** 2
def raveled_f(x): return np.ravel(x ** 2, order="F") * np.arange(6.0)
def flattened_f(x): return x.flatten(order="F") * np.arange(6.0) + x.ravel("F") ** 2


# --- np.diff with values put before and after ----------------------------------------------------
def diff_prepend(x): return np.diff(x, prepend=0.5) ** 2
def diff_append(x): return np.diff(x ** 2, append=x[0]) * x
def diff_both(x): return np.diff(x, n=2, prepend=x[-1] ** 2, append=np.sin(x[:2]))
def diff_axis(x): return np.diff(x, axis=0, prepend=x[:1] ** 2) ** 2
def diff_axis_scalar(x): return np.diff(x, axis=1, append=2.0) * x


# --- reductions with where= and initial= ---------------------------------------------------------
def sum_where(x):
    return np.sum(x ** 2, where=x > 0.3) + np.sum(x, axis=0, where=[True, False, True])
def sum_initial(x): return np.sum(np.sin(x), axis=1, initial=x[0, 0] ** 2) ** 2
def prod_where(x): return np.prod(x + 2.0, where=x < 0.5, initial=1.5)
def mean_where(x): return np.mean(x ** 2, axis=1, where=x > 0.2)
def max_initial(x): return np.max(x, axis=1, initial=0.45) ** 2 + np.min(x, initial=0.3)
def max_where(x): return x.max(axis=0, initial=0.1, where=[True, False, True]) * x[0]
def min_where(x): return np.min(np.sin(x), where=x > 0.5, initial=0.9)
def sum_dtype(x): return np.sum(x ** 2, dtype=np.float64) + np.mean(x, axis=0, dtype=float)
def scan_dtype(x): return np.cumsum(x, axis=1, dtype=np.float64) * np.var(x, dtype=float)
def sum_where_dtype(x): return np.sum(np.sin(x), where=x > 0.3, dtype=np.float64)
def gradient_second_order(x): return np.gradient(x ** 2, 0.5, edge_order=2) * np.arange(5.0)
def gradient_second_order_axis(x): return np.gradient(np.sin(x), edge_order=2, axis=1) ** 2
def taken_wrapped(x):
    return np.take(x, [0, 4, -1, 7, 2], mode="wrap") ** 2 + np.take(x, [-2, 9, 1, 0, 3],
                                                                    mode="clip")
def taken_axis(x):
    return np.sum(np.take(x, [[0, 3]], axis=1, mode="wrap") ** 2) + x.take([5], 0, mode="clip")
def sorted_stably(x): return np.sort(x, kind="stable") * np.arange(4.0) + np.copy(x, order="F")


# --- changed in place: a[...] = the new value ----------------------------------------------------
def added_at(x):
    y = np.zeros(3)
    np.add.at(y, [0, 1, 0, 2, 0], x)
    return y ** 2
def added_at_rows(x):
    y = x ** 2
    np.add.at(y, np.array([1, 1, 0]), np.sin(x[:3]))
    return y * x
def subtracted_at(x):
    y = x.copy()
    np.subtract.at(y, (np.array([0, 0]), np.array([1, 1])), x[1, 2] ** 2)
    return y ** 2
def sorted_in_place(x):
    y = x * 2.0
    y.sort()
    return y * np.arange(5.0)
def sorted_axis(x):
    y = np.sin(x)
    y.sort(axis=0)
    return y * x
def filled(x):
    y = x ** 2
    z = y * 1.0
    y.fill(x[0] * 3.0)
    return z * x + y
def copied_to(x):
    y = np.zeros_like(x)
    np.copyto(y, np.sin(x[0]) * x)
    return y ** 2
def diagonal_filled(x):
    y = x ** 2
    np.fill_diagonal(y, np.cos(x[0, 1]))
    return y * x
def diagonal_filled_rows(x):
    y = x.copy()
    np.fill_diagonal(y, x[0, :2] ** 2)
    return y ** 2
def diagonal_filled_wrap(x):
    y = x * 1.0
    np.fill_diagonal(y, x[0, 0] * 2.0, wrap=True)
    return y * x


CASES = [
    case(item_of_one, arr(3), order=2), case(item_at, arr(2, 3), order=2),
    case(item_of_a_sum, arr(3), order=2),
    case(reshaped_f, arr(6), order=2), case(reshaped_f, arr(2, 3), order=2),
    case(reshaped_f_function, arr(3, 2), order=2), case(reshaped_c, arr(6), order=2),
    case(raveled_f, arr(2, 3), order=2), case(flattened_f, arr(3, 2), order=2),
    case(diff_prepend, arr(4), order=2), case(diff_append, arr(4), order=2),
    case(diff_both, arr(4), order=2), case(diff_axis, arr(3, 2), order=2),
    case(diff_axis_scalar, arr(2, 3), order=2),
    case(sum_where, distinct(2, 3), order=2), case(sum_initial, arr(2, 3), order=2),
    case(prod_where, distinct(2, 3), order=2), case(mean_where, distinct(3, 4), order=2),
    case(max_initial, distinct(3, 4), order=2), case(max_where, distinct(2, 3), order=2),
    case(min_where, distinct(2, 3), order=2), case(sum_dtype, arr(2, 3), order=2),
    case(scan_dtype, arr(2, 3), order=2), case(sum_where_dtype, distinct(2, 3), order=2),
    case(sorted_stably, distinct(4), order=2), case(gradient_second_order, arr(5), order=2),
    case(gradient_second_order_axis, arr(2, 4), order=2), case(taken_wrapped, arr(5), order=2),
    case(taken_axis, arr(2, 3), order=2),
    case(added_at, arr(5), order=2), case(added_at_rows, arr(4, 2), order=2),
    case(subtracted_at, arr(2, 3), order=2), case(sorted_in_place, distinct(5), order=2),
    case(sorted_axis, distinct(3, 2), order=2), case(filled, arr(3), order=2),
    case(copied_to, arr(3), order=2), case(diagonal_filled, arr(3, 3), order=2),
    case(diagonal_filled_rows, arr(2, 3), order=2), case(diagonal_filled_wrap, arr(5, 2), order=2),
]


@pytest.mark.parametrize("f, args, order, tol", CASES)
def test_breadth(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def test_a_reduction_in_a_dtype_given_is_of_the_cast_operand():
    """np.sum(x, dtype=np.float64) was refused (T10): it is the sum of x cast to the dtype, and
    a float32 x keeps a float32 gradient."""
    x = arr(2, 3).astype(np.float32)
    assert sum_dtype(x).dtype == np.float64
    assert grad(summed_sum_dtype)(x).dtype == np.float32


def summed_sum_dtype(x): return np.sum(sum_dtype(x))


def test_values_are_numpys():
    """The values themselves, every case, against NumPy's (the derivative code computes them)."""
    for p in CASES:
        f, args = p.values[:2]
        np.testing.assert_allclose(jvp(f, args, tuple(np.zeros_like(a) for a in args))[0],
                                   f(*args), err_msg=f.__name__)


def test_item_is_a_python_number():
    def f(x): return x[0].item() * 2.0
    assert type(jvp(f, (np.ones(2),), (np.ones(2),))[0]) is float
    np.testing.assert_allclose(grad(f)(np.ones(2)), [2.0, 0.0])


def test_add_at_accumulates_repeated_positions():
    def f(x):
        y = np.zeros(2)
        np.add.at(y, [0, 0, 1], x)
        return np.sum(y * np.array([1.0, 10.0]))
    np.testing.assert_allclose(grad(f)(np.ones(3)), [1.0, 1.0, 10.0])


def test_a_change_in_place_another_name_sees_is_refused_where_it_runs():
    """As for `y[...] = v`: z holds the array y.fill changes (it was silently the old one)."""
    def f(x):
        y = x ** 2
        z = y
        y.fill(x[0] * 3.0)
        return z * x
    with pytest.raises(UnsupportedSyntaxError, match="z holds the same array"):
        jvp(f, (np.ones(3),), (np.ones(3),))


# --- variants still refused at the user's line ---------------------------------------------------
def reshaped_a(x): return x.reshape(3, 2, order="A") ** 2
def multiplied_at(x):
    y = x.copy()
    np.multiply.at(y, [0, 0], 2.0)  # (line 2 of the def)
    return y


@pytest.mark.parametrize("f, line", [(reshaped_a, 0), (multiplied_at, 2)])
def test_other_variants_are_refused_at_the_users_line(f, line):
    for mode in (lambda: grad(f)(distinct(6)), lambda: jvp(f, (distinct(6),), (distinct(6),))):
        with pytest.raises(UnsupportedSyntaxError) as info:
            mode()
        assert info.value.filename == f.__code__.co_filename
        assert info.value.line == f.__code__.co_firstlineno + line


def cast_and_back(x):
    y = x.astype(np.float32)
    return np.sum(y.astype(np.float64) ** 3)


def test_second_derivatives_through_astype():
    """The gradient cast back with astype(g, x.dtype), a dtype read at run time, which could
    not be differentiated again (hessian was refused)."""
    from adcompile import hessian
    x = np.array([0.5, -0.3, 0.8])
    np.testing.assert_allclose(hessian(cast_and_back)(x), np.diag(6 * x), rtol=1e-6)
    assert grad(cast_and_back)(x).dtype == np.float64
    check_grads(lambda v: np.sum(v.astype(np.float64) ** 3), (x,), order=2)


# --- found by T10: bounds the wrong way round, a float cast into integers ------------------------
def clipped(x, lo, hi): return np.sum(np.clip(x, lo, hi) ** 2)


def test_clip_with_its_bounds_the_wrong_way_round():
    """NumPy's clip is minimum(maximum(x, lo), hi): with lo > hi every entry is hi. The rule gave
    lo the entries below it as well (lo: [1, 1, 0], hi: [0, 1, 1] for 0, 0, 1 each)."""
    x, lo, hi = np.array([0.5, 1.0, 1.5]), np.full(3, 1.2), np.full(3, 0.8)
    for args in ((x, lo, hi), (x, hi, lo), (x, 0.9, hi), (x, lo, 1.3)):
        got = grad(clipped, argnums=(0, 1, 2))(*args)
        check_grads(clipped, args, order=1)  # (every argument)
        np.testing.assert_allclose(got[0], 2 * np.clip(*args) * (np.clip(*args) == x))
    g = grad(clipped, argnums=(0, 1, 2))(x, lo, hi)
    np.testing.assert_allclose(g[1], 0.0)
    np.testing.assert_allclose(g[2], 2 * hi)


INTS = np.arange(3)


def filled_like_integers(x): return np.sum(np.full_like(INTS, x)) * x
def inserted_into_integers(x): return np.sum(np.insert(INTS, 1, x)) * x
def filled_like_booleans(x): return np.sum(np.full_like(np.array([True, False]), x)) * x


@pytest.mark.parametrize("f", [filled_like_integers, inserted_into_integers,
                               filled_like_booleans])
def test_a_float_cast_into_integers_has_no_derivative(f):
    """np.full_like(ints, x) and np.insert(ints, 1, x) round x to the integers' dtype: a
    piecewise constant (like x[i] = v into an integer array). Both modes passed the derivative
    through as if the array held x (grad 6.0 where it is f(x) / x)."""
    x = 2.7
    expected = f(x) / x  # the rounded sum, constant near 2.7
    assert grad(f)(x) == pytest.approx(expected)
    assert jvp(f, (x,), (1.0,))[1] == pytest.approx(expected)


def det_of(a): return np.sum(np.linalg.det(a))


@pytest.mark.parametrize("a, cofactors", [
    (np.array([[1.0, 2.0], [2.0, 4.0]]), [[4.0, -2.0], [-2.0, 1.0]]),
    (np.array([[0.0, 1.0], [0.0, 0.0]]), [[0.0, 0.0], [-1.0, 0.0]]),
    (np.zeros((3, 3)), np.zeros((3, 3))),
    (np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.5], [2.0, 4.0]]]),
     [[[4.0, -2.0], [-2.0, 1.0]], [[4.0, -2.0], [-0.5, 1.0]]])])
def test_det_at_a_singular_matrix(a, cofactors):
    """The gradient of det is the cofactor matrix, which exists at a singular matrix; the rule
    inverted the matrix (LinAlgError: Singular matrix, in grad and jvp)."""
    np.testing.assert_allclose(grad(det_of)(a), cofactors, atol=1e-12)
    t = np.random.default_rng(0).normal(size=a.shape)
    assert jvp(det_of, (a,), (t,))[1] == pytest.approx(np.sum(np.asarray(cofactors) * t))
    check_grads(det_of, (a + np.eye(a.shape[-1]),), order=2)  # (invertible: second order)


def inner_of_a_number(s, x): return np.sum(np.inner(s, x) ** 2) + np.inner(x, s)[0]


def test_inner_with_a_number():
    """np.inner(s, x) of a 0-d s is s * x; its pullback took the last axis of s (ZeroDivisionError:
    integer modulo by zero)."""
    check_grads(inner_of_a_number, (np.array(2.0), np.array([1.0, 2.0, 3.0])), order=2)


def r_of_qr(a): return np.sum(np.linalg.qr(a)[1])
def cross_of(x, y): return np.sum(np.cross(x, y))


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
def test_qr_of_a_wide_matrix_and_cross_of_2_vectors_are_refused_at_the_line():
    """qr's reverse rule holds for tall matrices: a wide matrix crashed in the pullback
    (LinAlgError); it is refused there now. np.cross of 2-vectors has a rule now."""
    with pytest.raises(OutsideRuleError, match="fewer rows than columns") as e:
        grad(r_of_qr)(np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]]))
    assert "test_numpy_breadth6.py" in str(e.value)
    check_grads(r_of_qr, (np.array([[1.0, 2.0], [0.3, -1.0], [0.5, 2.0]]),), order=1)
    try:
        np.cross(np.array([1.0, 2.0]), np.array([0.5, 3.0]))
    except ValueError:  # (NumPy releases after 2.4 refuse 2-vectors themselves)
        pass
    else:  # (2-vectors: read as 3-vectors by the reverse rule, test_npgaps_found.py)
        check_grads(cross_of, (np.array([1.0, 2.0]), np.array([0.5, 3.0])), order=2)
    check_grads(cross_of, (np.array([1.0, 2.0, 0.2]), np.array([0.5, 3.0, -1.0])), order=2)


def by_field_names(a):
    s = np.linalg.slogdet(a).logabsdet
    w = np.linalg.eigh(a @ a.T).eigenvalues
    return s + np.sum(w) + np.sum(np.linalg.svd(a).S ** 2) + np.sum(np.linalg.qr(a).R ** 2)


def a_field_of_an_array(x): return np.sum(x.S)


def test_fields_of_numpys_linalg_results():
    """NumPy 2's linalg results are named tuples: slogdet(a).logabsdet, eigh(a).eigenvalues,
    svd(a).S, qr(a).R were refused as "the attribute .logabsdet of an array"."""
    a = np.random.default_rng(0).normal(size=(3, 3))
    check_grads(by_field_names, (a,), order=1)
    with pytest.raises(AttributeError, match="'ndarray' object has no attribute 'S'"):
        grad(a_field_of_an_array)(np.ones(3))


def sym_of(a): return (a + a.T) / 2


def linalg_options(a):
    b = sym_of(a)
    c = b @ b.T + np.eye(3)
    w2, _ = np.linalg.eigh(b, UPLO="U")
    return np.sum(np.linalg.eigvalsh(b, UPLO="U") * np.arange(3.0)) + np.sum(w2 ** 2) + \
        np.sum(np.linalg.svd(c, hermitian=True)[1] ** 2) + \
        np.sum(np.linalg.pinv(b + 3 * np.eye(3), rcond=1e-12) ** 2) + \
        np.sum(np.linalg.pinv(c, hermitian=True)) + \
        np.sum(np.linalg.cholesky(c, upper=True) * np.arange(9.0).reshape(3, 3))


def test_options_of_linalg_functions():
    """eigh/eigvalsh(UPLO=), svd(hermitian=), pinv(rcond=, hermitian=), cholesky(upper=) were
    refused (T10). cholesky(upper=True) is the transpose of L; eigvalsh's rule takes the
    eigenvectors of the triangle it read."""
    a = np.random.default_rng(3).normal(size=(3, 3))
    check_grads(linalg_options, (a,), order=1)
    u = np.linalg.cholesky(a @ a.T + np.eye(3), upper=True)
    np.testing.assert_allclose(u, np.triu(u))
