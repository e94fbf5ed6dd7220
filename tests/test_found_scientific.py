"""Defects a tester found in scientific and engineering NumPy code (integrators, stencils, FFTs,
complex numbers on the way, indexing), each checked against finite differences or the other
mode before its fix."""
import numpy as np
import pytest

import adcompile as ad
from checks import numeric_grad


# --- a real input's gradient is real, complex numbers on the way included: a Python float got a
# complex gradient with a wrong imaginary part (1 - 0.6j for 1.0), vjp and jacrev of a real array
# a complex one, jacrev(grad(f)) a complex Hessian (2j off the diagonal for 0) -----------------
def modulus_squared(a, b):
    return np.abs(a + 1j * b) ** 2


def damped_phasor(omega):
    t = np.linspace(0.0, 1.0, 20)
    z = np.exp(1j * omega * t - 0.5 * t)
    return np.sum(z.real ** 2) + np.abs(np.sum(z))


def modulus_of_parts(x):
    return np.abs(x[0] + 1j * x[1]) ** 2


def real_square(x):
    z = x[0] + 1j * x[1]
    return np.real(z * z)


def fft_power(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2 * np.arange(1.0, x.size + 1))


def sine_of_float(a):
    return np.sin(a) * a


def test_a_real_inputs_gradient_is_real_through_complex_values():
    for f, args in [(modulus_squared, (0.5, 0.3)), (damped_phasor, (2.3,))]:
        for i in range(len(args)):
            g = ad.grad(f, i)(*args)
            assert type(g) is float, (f.__name__, g)
            assert np.isclose(g, numeric_grad(f, args, i), rtol=1e-6), (f.__name__, g)
        _, pullback = ad.vjp(f, *args)
        assert all(type(g) is float for g in pullback(1.0))
    assert type(ad.grad(sine_of_float)(2.0)) is float
    x = np.array([0.5, 0.3, -1.2, 0.7])
    for f in (modulus_of_parts, fft_power):
        want = numeric_grad(f, (x,), 0)
        _, pullback = ad.vjp(f, x)
        for got in (pullback(1.0)[0], ad.jacrev(f)(x), ad.grad(f)(x)):
            assert got.dtype == np.float64 and np.allclose(got, want, rtol=1e-6), (f, got)
    H = ad.jacrev(ad.grad(real_square))(x[:2])
    assert H.dtype == np.float64 and np.allclose(H, [[2.0, 0.0], [0.0, -2.0]])
    assert np.allclose(ad.hessian(real_square)(x[:2]), H)


# --- `y[mask][0] = v` changes a copy in NumPy (a mask or an index array makes one), which
# Python drops; flat code wrote it into y (10005.0 for 5.25): refused, where the index is known
# and else when the code runs; ints and slices (views) still write through --------------------
def into_a_masked_copy(x):
    y = x.copy()
    y[y > 0][0] = 100.0
    return np.sum(y ** 2)


def into_a_listed_copy(x):
    y = x.copy()
    y[[0, 2]][1] = 100.0
    return np.sum(y ** 2)


def into_an_indexed_item(x, index):
    y = np.zeros((3, 3))
    y[index][0] = x[0]
    return np.sum(y ** 2) + np.sum(x)


def into_views(x):
    y = np.zeros((3, 3))
    for i in range(3):
        y[i][i] = x[i] * 2.0
    y[1:][0] = x
    y[0, :][1:] = x[:2] ** 2
    return np.sum(y ** 3)


def test_assigning_into_an_advanced_indexing_copy_is_refused():
    x = np.array([0.5, -1.0, 2.0])
    for f in (into_a_masked_copy, into_a_listed_copy):
        with pytest.raises(ad.UnsupportedSyntaxError, match=r"assigning into y\[.*\], a copy"):
            ad.grad(f)(x)
    with pytest.raises(ad.UnsupportedSyntaxError, match=r"assigning into y\[index\], a copy"):
        ad.grad(into_an_indexed_item)(x, np.array([1]))
    assert np.allclose(ad.grad(into_an_indexed_item)(x, 1), [1.0 + 2 * x[0], 1.0, 1.0])
    assert np.allclose(ad.grad(into_views)(x), numeric_grad(into_views, (x,), 0), rtol=1e-6)
    assert ad.value_and_grad(into_views)(x)[0] == into_views(x)


# --- `out = np.append(out, v)` in a loop was read as appending to a list named np ("the method
# .append() of an array is not supported") ----------------------------------------------------
def grown_by_np_append(x):
    out = x[:1]
    for i in range(1, 3):
        out = np.append(out, x[i] * i)
    return np.sum(out ** 2)


def test_np_append_in_a_loop():
    x = np.array([0.5, -1.0, 2.0])
    assert np.allclose(ad.grad(grown_by_np_append)(x), numeric_grad(grown_by_np_append, (x,), 0),
                       rtol=1e-6)


# --- reverse mode of np.correlate(x, k, 'same') with k longer than x and len(x) even was shifted
# by one: NumPy's 'same' window of a correlation is not np.convolve's there ------------------
def correlated(x, k, mode):
    return np.correlate(x, k, mode=mode)


def correlated_energy(x, k, mode):
    return np.sum(np.correlate(x, k, mode=mode) ** 3)


@pytest.mark.parametrize("mode", ["same", "valid", "full"])
def test_correlate_in_every_mode_and_length(mode):
    rng = np.random.default_rng(5)
    for n in range(1, 7):
        for m in range(1, 7):
            x, k = rng.normal(size=n), rng.normal(size=m)
            for i in (0, 1):
                forward = ad.jacfwd(correlated, i)(x, k, mode)
                assert np.allclose(ad.jacrev(correlated, i)(x, k, mode), forward), (n, m, i)
                want = numeric_grad(correlated_energy, (x, k, mode), i)
                assert np.allclose(ad.grad(correlated_energy, i)(x, k, mode), want,
                                   rtol=1e-5, atol=1e-7), (n, m, i)
    x, k = rng.normal(size=4), rng.normal(size=5)
    assert np.allclose(ad.jacrev(ad.grad(correlated_energy))(x, k, mode),
                       ad.hessian(correlated_energy)(x, k, mode))


# --- np.linalg.solve of a stack of matrices with one vector (NumPy 2 solves it for each matrix):
# the rules took the vector for a matrix (ValueError inside generated code, in every mode) ---
def solved(a, b):
    return np.sum(np.linalg.solve(a, b) ** 3)


@pytest.mark.parametrize("a_shape, b_shape", [((3, 3), (3,)), ((3, 3), (3, 2)),
                                              ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 2)),
                                              ((2, 3, 3), (3, 2))])
def test_solve_with_a_vector_or_matrices_stacked_or_not(a_shape, b_shape):
    rng = np.random.default_rng(2)
    a = rng.normal(size=a_shape) + 3 * np.eye(3)
    b = rng.normal(size=b_shape)
    for i, x in enumerate((a, b)):
        g = ad.grad(solved, i)(a, b)
        assert g.shape == x.shape
        assert np.allclose(g, numeric_grad(solved, (a, b), i), rtol=1e-5, atol=1e-7)
        assert np.allclose(ad.jacfwd(solved, i)(a, b), g)
    H = ad.hessian(solved, 1)(a, b)
    assert np.allclose(ad.jacrev(ad.grad(solved, 1), 1)(a, b), H)


# --- `Y.T[0] = a` was refused as "assigning to the attribute .T", which it does not do -------
def into_a_transpose(a):
    Y = np.zeros((3, 2))
    Y.T[0] = a
    return np.sum(Y ** 2)


def test_assigning_into_a_transpose_names_what_to_write():
    with pytest.raises(ad.UnsupportedSyntaxError, match=r"assigning into Y\.T\[\.\.\.\], an "
                       r"array's \.T.*Y\[:, 0\] = a"):
        ad.grad(into_a_transpose)(np.ones(3))


# --- T11: unpacking into parts of an array whose views are on the right. NumPy reads a view
# after the earlier store has changed it (`M[0], M[1] = M[1], M[0]` copies row 1 into both);
# flat code swapped the values: 13.0 where Python gives 33.0. Refused at the line now; numbers
# (a vector's entries) and views of other parts still unpack as in Python ---------------------
def swap_rows(M):
    M = M.copy()
    M[0], M[1] = M[1], M[0]
    return M[0, 0] + 10 * M[1, 0]


def swap_slices(x):
    y = x.copy()
    y[0:2], y[2:4] = y[2:4], y[0:2]
    return np.sum(y * np.arange(1.0, 5.0))


def swap_entries(x):
    y = x.copy()
    y[0], y[1] = y[1], y[0]
    return y[0] + 10 * y[1] + y[2] ** 2


def row_and_view_of_another(M):
    M = M.copy()
    M[0], t = M[1] * 2.0, M[1]
    return np.sum(M * t)


def test_unpacking_views_of_a_part_stored_into_is_refused():
    M = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ad.UnsupportedSyntaxError, match="storing into M\\[0\\] while unpacking"):
        ad.value_and_grad(swap_rows)(M)
    with pytest.raises(ad.UnsupportedSyntaxError, match="storing into y\\[0:2\\] while unpacking"):
        ad.grad(swap_slices)(np.arange(4.0))


@pytest.mark.parametrize("f, x", [(swap_entries, np.array([0.5, 2.0, 3.0])),
                                  (row_and_view_of_another, np.array([[1.0, 2.0], [3.0, 4.0]]))])
def test_unpacking_numbers_and_other_parts_is_python(f, x):
    value, g = ad.value_and_grad(f)(x)
    assert value == f(x)
    assert np.allclose(g, numeric_grad(f, (x,), 0), rtol=1e-6, atol=1e-8)


# --- T11: second derivatives of np.prod were NaN where an entry is 0 (the rules of prod_others
# divided by x); first derivatives were right ------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_second_derivatives_of_a_product_with_a_zero(axis):
    x = np.array([[0.5, 0.0, 2.0], [1.5, -1.0, 3.0]])

    def f(x):
        return np.sum(np.sin(np.prod(x, axis=axis)))
    g = ad.grad(f)
    columns = [numeric_grad(lambda v, k=k: g(v)[k // 3, k % 3], (x,), 0).ravel() for k in range(6)]
    want = np.array(columns)
    for H in (ad.hessian(f)(x), ad.jacrev(ad.grad(f))(x)):
        assert np.allclose(H.reshape(6, 6), want, atol=1e-6)
    assert np.allclose(ad.hessian(lambda x: np.prod(x))(np.array([0.0, 2.0, 3.0])),
                       [[0.0, 3.0, 2.0], [3.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    assert ad.grad(ad.grad(lambda a: np.nanprod(np.array([a, 2.0, 3.0]))))(0.0) == 0.0


def swap_at_a_drawn_index(x, rng):
    y = x * 1.0
    y[rng.integers(0, 3)], y[1] = y[1] * 2.0, y[0]
    return y[0] + 10.0 * y[1] + 100.0 * y[2]


def test_unpacking_check_reads_a_drawn_index_once():
    """My final read: the check of an unpacking into parts read each part once more, so an index
    with an effect (a draw) was drawn again: three draws where Python makes one."""
    x = np.array([1.0, 2.0, 3.0])
    for seed in range(6):
        want = swap_at_a_drawn_index(x, np.random.default_rng(seed))
        assert ad.value_and_grad(swap_at_a_drawn_index)(x, np.random.default_rng(seed))[0] == want
    src = ad.source(ad.value_and_grad(swap_at_a_drawn_index), at=(x, np.random.default_rng(0)))
    assert src.count("integers(") == 1, src
