"""Defects a tester found differentiating simulations and models from science, engineering and
finance (T56, stop 42), each checked against finite differences before its fix."""
import numpy as np
import pytest

import adcompile as ad
from checks import assert_close, numeric_grad

PHASE = 1.0 + 2.0j


# --- a real symmetric matrix's eigen- or Cholesky factors meeting complex arithmetic later (a
# real Hamiltonian's eigenvalues in exp(-1j w t)): the adjoint arriving at the factors is complex,
# and the rule refused it as "the input is complex" (the input is real); a real value's adjoint
# is its real part, as np.abs and .real already take it ----------------------------------------
def _spd(a):
    h = np.array([[2.0 + a, 0.5], [0.3, 1.0 - a]])
    return h @ h.T


def eigh_values(a):
    w, v = np.linalg.eigh(_spd(a))
    return np.abs(w[0] * PHASE) ** 2


def eigh_vectors(a):
    w, v = np.linalg.eigh(_spd(a))
    return np.abs(v[0, 0] * PHASE) ** 2 + np.abs(w[1] * np.exp(1j * a))


def eigvalsh_phase(a):
    return np.abs(np.linalg.eigvalsh(_spd(a))[0] * PHASE) ** 2


def cholesky_phase(a):
    return np.abs(np.linalg.cholesky(_spd(a))[1, 0] * PHASE) ** 2


def scipy_cholesky_phase(a):
    import scipy.linalg
    return np.abs(scipy.linalg.cholesky(_spd(a))[0, 1] * PHASE) ** 2


def cho_solve_phase(a):
    import scipy.linalg
    x = scipy.linalg.cho_solve(scipy.linalg.cho_factor(_spd(a)), np.ones(2))
    return np.abs(x[0] * PHASE) ** 2


def scipy_eigh_phase(a):
    import scipy.linalg
    w, v = scipy.linalg.eigh(_spd(a))
    return np.abs(w[1] * PHASE) ** 2 + np.abs(v[1, 0] * 1j)


@pytest.mark.parametrize("f", [eigh_values, eigh_vectors, eigvalsh_phase, cholesky_phase,
                               scipy_cholesky_phase, cho_solve_phase, scipy_eigh_phase])
def test_factors_of_a_real_matrix_meeting_complex_numbers(f):
    if f.__name__.startswith(("scipy", "cho_")):
        pytest.importorskip("scipy")
    want = numeric_grad(f, (0.3,), 0)
    assert_close(ad.grad(f)(0.3), want, rtol=1e-6)
    assert_close(ad.jvp(f, (0.3,), (1.0,))[1], want, rtol=1e-6)
    assert_close(ad.hessian(f)(0.3), numeric_grad(ad.grad(f), (0.3,), 0), rtol=1e-4)


def hermitian(a):
    w, v = np.linalg.eigh(np.array([[a, 0.5j], [-0.5j, -a]]))
    return w[1] + np.abs(v[0, 1]) ** 2


def test_a_complex_hermitian_matrix_stays_refused_in_reverse():
    with pytest.raises(ad.NoDerivativeError, match="real values only"):
        ad.grad(hermitian)(0.3)


# --- a starred item in a list or tuple display (`np.array([1.0, *axis])`, `(w, *v)`): a
# quaternion or a state vector built from an array, refused as "a starred expression" ---------
def quaternion(axis):
    q = np.array([1.0, *axis])
    return q @ q * q[2]


def state_tuple(v):
    s = (1.0, *(2.0 * v))
    return s[0] + s[1] * s[3]


def list_between(v):
    q = [v[2], *list(v), v[0]]
    return q[0] * q[2] * q[4] + q[-2]


def known_lists(x, y):
    a = [x, y]
    q = [*a, 2.0, *a]
    total = 0.0
    for e in (*q, x):
        total = total * 0.5 + e
    return total * q[1]


@pytest.mark.parametrize("f", [quaternion, state_tuple, list_between])
def test_a_starred_array_in_a_display(f):
    x = np.array([0.5, 2.0, 3.0])
    want = np.array([numeric_grad(lambda v: f(v), (x,), 0)]).reshape(3)
    value, g = ad.value_and_grad(f)(x)
    assert value == f(x)
    assert_close(g, want, rtol=1e-6)
    assert_close(ad.jacfwd(f)(x), want, rtol=1e-6)


def test_starred_known_lists_in_displays():
    g = ad.grad(known_lists, argnums=(0, 1))(2.0, 3.0)
    for i in (0, 1):
        assert_close(g[i], numeric_grad(known_lists, (2.0, 3.0), i), rtol=1e-6)
    assert_close(ad.hessian(known_lists)(2.0, 3.0),
                 numeric_grad(ad.grad(known_lists), (2.0, 3.0), 0), rtol=1e-5)


def rebinds_list(v):
    list = [v[0]]  # noqa: A001  (the builtin's name, rebound)
    q = [*list, v[1]]
    return q[0] * q[1]


def test_a_starred_display_where_list_is_rebound_is_refused_at_its_line():
    with pytest.raises(ad.UnsupportedSyntaxError, match=r"test_sims_found.py:\d+: .*rebound"):
        ad.grad(rebinds_list)(np.array([1.0, 2.0]))


# --- functools.reduce over an array said reduce itself was the problem (it is supported over a
# sequence known here): the message names the run-time length and the loop to write ---------
def product_of_array(x):
    import operator
    from functools import reduce
    return reduce(operator.mul, x, 1.0)


def test_reduce_over_an_array_says_what_to_write():
    with pytest.raises(ad.UnsupportedSyntaxError,
                       match=r"test_sims_found.py:\d+: functools.reduce over a sequence whose "
                             r"length is known only at run time .*for x in xs"):
        ad.grad(product_of_array)(np.array([1.0, 2.0, 3.0]))


# --- `b.pos += b.vel * dt` in `for b in bodies:` was refused as "bodies holds the same array":
# bodies holds the object b is, which sees its field change as Python's does; another holder
# of the array itself (a name, another object's field, another field of b) still is one ------
class Body:
    def __init__(self, pos, vel):
        self.pos, self.vel = pos, vel


def drift(v):
    bodies = [Body(np.zeros(2), np.array([v, 0.5 * v])), Body(np.ones(2), np.array([1.0, v]))]
    for _ in range(3):
        for b in bodies:
            b.pos += b.vel * 0.1
            b.vel *= 0.9
    return bodies[0].pos[0] * bodies[1].pos[1] + bodies[0].pos[1]


def drift_named(v):
    start = np.zeros(2)
    bodies = [Body(start, np.array([v, 0.0]))]
    for b in bodies:
        b.pos += b.vel * 0.1
    return start[0] * v


def drift_shared(v):
    start = np.zeros(2)
    bodies = [Body(start, np.array([v, 0.0])), Body(start, np.array([0.0, v]))]
    for b in bodies:
        b.pos += b.vel * 0.1
    return bodies[0].pos[1] * v


def drift_other_field(v):
    bodies = [Body(np.zeros(2), np.array([v, 0.0]))]
    bodies[0].old = bodies[0].pos
    for b in bodies:
        b.pos += b.vel * 0.1
    return bodies[0].old[0] * v


def test_a_field_changed_in_place_through_the_object_a_list_holds():
    value, g = ad.value_and_grad(drift)(2.0)
    assert value == drift(2.0)
    assert_close(g, numeric_grad(drift, (2.0,), 0), rtol=1e-6)
    assert_close(ad.jvp(drift, (2.0,), (1.0,))[1], g, rtol=1e-9)


@pytest.mark.parametrize("f", [drift_named, drift_shared, drift_other_field])
def test_the_array_held_elsewhere_too_is_still_refused(f):
    with pytest.raises(ad.UnsupportedSyntaxError, match="changed in place|in place"):
        ad.grad(f)(2.0)


# --- forward mode of eigh, eigvalsh and cholesky of a complex Hermitian matrix with a real
# tangent was silently wrong (the rules transpose where the conjugate transpose is needed; only
# the tangent was checked real): the factors are checked real now, in both modes -------------
S0 = np.array([[4.0, 1.0], [1.0, 3.0]])
J = np.array([[0.0, 0.5j], [-0.5j, 0.0]])


def hermitian_levels(a):
    return np.linalg.eigvalsh(S0 * a + J)


def hermitian_vectors(a):
    return np.linalg.eigh(S0 * a + J)[1]


def hermitian_cholesky(a):
    return np.linalg.cholesky(S0 * a + J)


def hermitian_scipy_cholesky(a):
    import scipy.linalg
    return scipy.linalg.cholesky(S0 * a + J, lower=True)


def hermitian_cho_factor(a):
    import scipy.linalg
    return scipy.linalg.cho_solve(scipy.linalg.cho_factor(S0 * a + J), np.ones(2))


@pytest.mark.parametrize("f", [hermitian_levels, hermitian_vectors, hermitian_cholesky,
                               hermitian_scipy_cholesky, hermitian_cho_factor])
def test_a_complex_hermitian_matrix_is_refused_in_forward_mode(f):
    if "scipy" in f.__name__ or "cho_factor" in f.__name__:
        pytest.importorskip("scipy")
    with pytest.raises(ad.NoDerivativeError, match="real values only"):
        ad.jvp(f, (1.3,), (1.0,))
    with pytest.raises(ad.NoDerivativeError, match="real values only"):
        ad.jacfwd(f)(1.3)


# --- min(range(len(d)), key=lambda i: d[i]) (the closest grid point) and max(xs, key=f) of a
# sequence known only at run time were refused: the keys are computed where the code runs and
# the first best item is read, as Python keeps it --------------------------------------------
def closest(x, grid):
    d = np.abs(grid - x)
    k = min(range(len(d)), key=lambda i: d[i])
    return (grid[k] - x) ** 2 + x * k


def heaviest_row(w, rows):
    best = max(rows * w, key=lambda r: r[0] + r[1])
    return np.sum(best ** 2)


def best_of_list(x):
    xs = []
    for k in range(4):
        xs.append(np.sin(x * k) + 0.5)
    first = max(xs, key=lambda v: round(v, 1))  # (ties: the first greatest)
    return first * x + min(xs, key=abs)


@pytest.mark.parametrize("f, args", [
    (closest, (0.3, np.array([0.0, 0.25, 0.5, 1.0]))),
    (heaviest_row, (np.array([1.0, -0.5]), np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]]))),
    (best_of_list, (0.7,))])
def test_min_or_max_by_a_key_of_a_sequence_known_at_run_time(f, args):
    value, g = ad.value_and_grad(f)(*args)
    assert value == f(*args)
    assert_close(g, numeric_grad(f, args, 0), rtol=1e-6)
    assert_close(ad.jvp(f, args, (np.ones_like(args[0]),) + tuple(
        np.zeros_like(a) for a in args[1:]))[1], np.sum(g), rtol=1e-9)


def nearest_of_none(x, grid):
    return min(range(len(grid)), key=lambda i: abs(grid[i] - x)) * x


def test_min_by_a_key_of_an_empty_sequence_raises_as_python():
    with pytest.raises(ValueError):
        nearest_of_none(0.3, np.array([]))
    with pytest.raises(ValueError):
        ad.grad(nearest_of_none)(0.3, np.array([]))


def product_of_list(xs):
    from functools import reduce
    return reduce(lambda a, b: a * b + 0.5 * b, xs)


def test_reduce_over_a_list_argument():
    # (compiled for the list's length at the first call, as a list argument is)
    g = ad.grad(product_of_list)([1.0, 2.0, 3.0])
    want = [numeric_grad(lambda v, k=k: product_of_list(
        [v if j == k else x for j, x in enumerate([1.0, 2.0, 3.0])]), ([1.0, 2.0, 3.0][k],), 0)
        for k in range(3)]
    assert_close(np.array(g), np.array(want), rtol=1e-6)


# --- zip(*PAIRS) of a global tuple of tuples was refused naming `zip(<argument1>, ...)`, names
# the user never wrote: the message quotes the call as written ---------------------------------
CASH_FLOWS = ((1.0, 5.0), (2.0, 5.0), (3.0, 105.0))


def bond_price(y):
    ts, cfs = zip(*CASH_FLOWS)
    return sum(c * np.exp(-y * t) for t, c in zip(ts, cfs))


def test_a_refused_zip_of_a_spread_global_is_quoted_as_written():
    with pytest.raises(ad.UnsupportedSyntaxError) as caught:
        ad.grad(bond_price)(0.05)
    assert "zip(*CASH_FLOWS)" in str(caught.value) and "<argument" not in str(caught.value)
