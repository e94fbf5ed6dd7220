"""adcompile.jit against Python, found by earlier testers: np.linalg.matrix_power's gradient
(Numba types its result as optional), reductions and sorts along an axis (np.max, np.min,
np.mean, np.prod, np.std, np.var, np.argsort, np.sort; keepdims), the gradient of vector norms
of every order, logsumexp along an axis, a 2-D boolean mask read, nothing on disk with
ADCOMPILE_CACHE_DIR=off, and tuples holding arrays and functions. Skipped without Numba."""
import os
import subprocess
import sys

import numpy as np
import pytest

from adcompile import grad, jit, logsumexp, relu
from adcompile.jit import JitError
from checks import numeric_grad

numba = pytest.importorskip("numba")

A = np.array([[0.5, 0.2], [0.1, 0.3]])
X = np.array([[0.1, 0.5, -0.2], [0.3, -0.4, 0.9]])
X3 = (np.arange(24.0).reshape(2, 3, 4) ** 1.3 / 10 - 1) * np.resize([1.0, -1.0, 0.7], 24).reshape(
    2, 3, 4)
WS = np.linspace(-1.0, 1.0, 3)


def line_of(f, text):
    """The line of `f`'s file holding `text`."""
    import inspect
    lines, first = inspect.getsourcelines(f)
    return first + next(k for k, s in enumerate(lines) if text in s)


def check(f, *args, argnums=0):
    """jit(f) gives f's value; jit(grad(f)) grad(f)'s gradient and finite differences'."""
    assert np.allclose(jit(f)(*args), f(*args))
    got = jit(grad(f, argnums=argnums))(*args)
    assert np.allclose(got, grad(f, argnums=argnums)(*args))
    assert np.allclose(got, numeric_grad(f, list(args), argnums), atol=1e-6)


# -- 1. np.linalg.matrix_power -------------------------------------------------------------------

def powered(a):
    """Each exponent's path of Numba's code, and of the product rule: one compiled function."""
    m = np.array([[1.0, -2.0], [0.5, 3.0]])
    p = np.linalg.matrix_power
    return np.sum((p(a, 0) + 2.0 * p(a, 1) + 3.0 * p(a, 2) + 4.0 * p(a, 3) + 5.0 * p(a, 4) +
                   6.0 * p(a, 5) + 7.0 * p(a, -1) + 8.0 * p(a, -2)) * m)


def power_of(n):
    def powered_n(a):
        return np.sum(np.linalg.matrix_power(a, n) ** 2)
    return powered_n


def test_matrix_power():
    """Numba's matrix_power returns an optional array (a path of its code returns nothing), so
    the helpers typed it as a number: its gradient did not compile."""
    pytest.importorskip("scipy")  # (Numba's matrix products need SciPy's BLAS)
    check(powered, A)
    check(power_of(7), A)
    with pytest.raises(np.linalg.LinAlgError):
        jit(power_of(2))(np.ones((2, 3)))


# -- 2. reductions and sorts along an axis -------------------------------------------------------

def extremes(x):
    return np.sum(np.max(x, axis=1) ** 2) + np.sum(np.max(x, axis=0, keepdims=True) * x) + \
        np.sum(np.min(x, axis=-1) ** 3) + np.sum(x.max(axis=1)) * np.sum(x.min(0) ** 2) + \
        np.sum(np.amax(x, 1) ** 2)


def means(x):
    return np.sum(np.mean(x, axis=1) ** 2) + np.sum(np.mean(x, axis=0, keepdims=True) * x) + \
        np.sum(np.sum(x, axis=1) ** 2) + np.sum(np.sum(x, axis=0, keepdims=True) * x) + \
        np.sum(np.prod(x, axis=1) ** 2)


def spreads(x):
    return np.sum(np.std(x, axis=0) ** 2) + np.sum(np.var(x, axis=-1, keepdims=True) * x) + \
        np.sum(np.var(x, axis=0, ddof=1)) + np.sum(np.std(x, axis=1, ddof=1, keepdims=True))


def sorts(x):
    return np.sum(np.take_along_axis(x, np.argsort(x, axis=-1), axis=-1) * WS) + \
        np.sum(np.take_along_axis(x, np.argsort(x), axis=-1) ** 2 * WS) + \
        np.sum(np.take_along_axis(x, np.argsort(x, axis=0), axis=0) * WS) + \
        np.sum(np.sort(x, axis=-1) ** 3 * WS) + np.sum(np.sort(x, axis=0) * WS) + \
        np.sum(x[0][np.argsort(x[0])] * WS)


@pytest.mark.parametrize("f", [extremes, means, spreads])
def test_reductions_along_an_axis(f):
    """Numba's np.max, np.min, np.mean, np.prod, np.std and np.var take no axis (a JitError):
    each has a Numba version along one axis, keepdims too, and so has its gradient."""
    for x in (X, X3):
        check(f, x)


def test_reduction_of_a_vector_along_its_axis():
    def g(v):
        return np.max(v, axis=0) * np.mean(v, axis=-1, keepdims=True)[0] + np.prod(v, axis=0)
    check(g, np.array([0.3, -1.2, 0.7]))


def test_nan_maximum_along_an_axis():
    def f(x):
        return np.sum(np.max(x, axis=1) * np.array([1.0, 2.0]))
    x = np.array([[0.1, np.nan, -0.2], [0.3, -0.4, 0.9]])
    with np.errstate(invalid="ignore"):
        want = grad(f)(x)
    assert np.allclose(jit(grad(f))(x), want, equal_nan=True)


def test_sorts_along_an_axis():
    """np.argsort of a 2-D array (axis -1 by default, or 0) and np.sort along axis 0: Numba's
    take one axis or none."""
    check(sorts, X)


def test_argsort_values_and_integers():
    def f(x):
        return np.argsort(x, axis=0), np.sort(x, axis=1), np.argsort(x, axis=None)
    for x in (X3, np.array([[3, 1, 2], [0, 5, 4], [2, 2, 1]])):
        for got, want in zip(jit(f)(x), f(x)):
            assert np.array_equal(got, want)


TIES = np.array([[1.0, 0.5, 1.0, 1.0], [2.0, 2.0, -1.0, 2.0]])
WT = np.array([0.1, 0.4, -0.3, 0.8])


def sorted_weighted(x):
    return np.sum(np.take_along_axis(x, np.argsort(x, axis=-1), axis=-1) * WT)


def sorted_weighted_stable(x):
    return np.sum(np.take_along_axis(x, np.argsort(x, axis=-1, kind="stable"), axis=-1) * WT)


def test_argsort_ties_are_in_a_stable_order():
    """Where values tie, NumPy's default argsort puts them in an order it does not specify (one
    that depends on the CPU) and Numba's quicksort in another; the gradient of a function of the
    sorted values depends on it there (the function has a kink). Under jit, argsort is stable:
    the gradient is grad(f) with kind='stable', a one-sided derivative of f."""
    assert np.array_equal(jit(lambda x: np.argsort(x, axis=-1))(TIES),
                          np.argsort(TIES, axis=-1, kind="stable"))
    assert np.isclose(jit(sorted_weighted)(TIES), sorted_weighted(TIES))
    got = jit(grad(sorted_weighted))(TIES)
    assert np.allclose(got, grad(sorted_weighted_stable)(TIES))
    assert np.allclose(jit(grad(sorted_weighted_stable))(TIES), got)
    # a step that keeps the stable order of the tied entries: f changes by the gradient's dot
    step = np.array([[1.0, 0.0, 2.0, 3.0], [1.0, 2.0, 0.0, 3.0]]) * 1e-7
    change = sorted_weighted(TIES + step) - sorted_weighted(TIES)
    assert np.isclose(change, np.sum(got * step), rtol=1e-6, atol=1e-16)


# -- 3. norms of every order, logsumexp along an axis --------------------------------------------

V = np.array([0.3, -1.2, 0.7, 1.2])
ORDERS = [1, np.inf, -np.inf, 3, -1, 0.5, 2, None, 0]


@pytest.mark.parametrize("order", ORDERS)
def test_vector_norm_gradients(order):
    """norm_grad (x may be a vector or a matrix until run time) had no Numba version."""
    pytest.importorskip("scipy")  # (Numba's np.linalg.norm needs SciPy's BLAS)
    def f(v):
        return np.linalg.norm(v, order) * 2.0
    v = V if order not in (np.inf, -np.inf) else np.array([0.3, -1.3, 0.7, 1.2])
    assert np.isclose(jit(f)(v), f(v))
    got = jit(grad(f))(v)
    assert np.allclose(got, grad(f)(v))
    if order != 0:
        assert np.allclose(got, numeric_grad(f, [v], 0), atol=1e-6)
    if order == -1:  # (Numba's norm divides by zero where NumPy's is 0)
        with pytest.raises(ZeroDivisionError):
            jit(grad(f))(np.zeros(3))
    else:
        assert np.allclose(jit(grad(f))(np.zeros(3)), grad(f)(np.zeros(3)), equal_nan=True)


def test_vector_norm_max_ties_split():
    pytest.importorskip("scipy")  # (Numba's np.linalg.norm needs SciPy's BLAS)
    def f(v):
        return np.linalg.norm(v, np.inf)
    assert np.allclose(jit(grad(f))(V), grad(f)(V))  # (|-1.2| and 1.2 tie: half each)


@pytest.mark.parametrize("order", [1, -1, np.inf, -np.inf, 2, -2, None])
def test_matrix_norm_gradients(order):
    """The same helper where x is a matrix: its order's gradient, or a JitError at the line."""
    pytest.importorskip("scipy")  # (Numba's norms of a matrix need SciPy's LAPACK)

    def f(w):
        return np.linalg.norm(w, order) * 2.0
    w = np.array([[1.0, 2.0], [3.0, -1.5]])
    got = jit(grad(f))(w)
    assert np.allclose(got, grad(f)(w))
    assert np.allclose(got, numeric_grad(f, [w], 0), atol=1e-6)


def lse_rows(x):
    return np.sum(logsumexp(x, axis=1) ** 2)


def lse_kept(x):
    return np.sum(logsumexp(x, axis=0, keepdims=True) * x)


def lse_last(x):
    return np.sum(logsumexp(x * 300.0, axis=-1))  # (large: shifted by each slice's max)


def test_logsumexp_along_an_axis():
    for f in (lse_rows, lse_kept, lse_last):
        check(f, X)
    check(lse_rows, X3)
    inf = np.array([[-np.inf, -np.inf], [0.0, np.inf]])
    assert np.array_equal(jit(lambda x: logsumexp(x, axis=1))(inf), logsumexp(inf, axis=1))


SPECIAL = None


def test_scipy_logsumexp_along_an_axis():
    global SPECIAL
    SPECIAL = pytest.importorskip("scipy.special")

    def f(x):
        return np.sum(SPECIAL.logsumexp(x, axis=0) ** 2)
    check(f, X)


# -- 4. a 2-D boolean mask read ------------------------------------------------------------------

def masked_positive(x):
    m = x > 0.0
    y = np.tanh(x)
    return np.sum(y[m] ** 2)


def test_2d_mask_read_refused_at_its_line():
    """Numba's lowering asserts on a mask of two axes: a JitError at the user's line that says
    what to write instead, and the advice compiles."""
    for f in (masked_positive, grad(masked_positive)):
        with pytest.raises(JitError, match=r"ravel\(\)\[mask\.ravel\(\)\]") as info:
            jit(f)(X)
        assert info.value.filename == __file__
        assert info.value.line == line_of(masked_positive, "y[m]")

    def advised(x):
        m = x > 0.0
        return np.sum(np.tanh(x).ravel()[m.ravel()] ** 2)
    check(advised, X)
    assert np.isclose(advised(X), masked_positive(X))


# -- 5. nothing on disk with ADCOMPILE_CACHE_DIR=off -----------------------------------------------

SCRIPT = """
import numpy as np
from adcompile import grad, jit
def f(x):
    return np.sum(np.tanh(x) ** 2) * {k}
print(jit(grad(f))(np.ones(3)), jit(f)(np.ones(3)))
"""


def written_by_jit(tmp_path, cache):
    """The files a fresh process running jit leaves in its temporary folder and Numba's cache
    folder, with ADCOMPILE_CACHE_DIR=`cache`."""
    temp, numba_cache = tmp_path / "temp", tmp_path / "numba"
    temp.mkdir(parents=True)
    env = {**os.environ, "TMPDIR": str(temp), "ADCOMPILE_CACHE_DIR": cache,
           "PYTHONPATH": os.pathsep.join(sys.path), "NUMBA_CACHE_DIR": str(numba_cache)}
    script = tmp_path / "script.py"  # (a function no earlier run cached: its own constant)
    script.write_text(SCRIPT.format(k=len(str(tmp_path))))
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return [p.name for d in (temp, numba_cache) if d.exists() for p in d.rglob("*")
            if p.is_file()]


def test_no_machine_code_on_disk_when_the_cache_is_off(tmp_path):
    """Numba cached the machine code (__pycache__ next to the generated file) whatever
    ADCOMPILE_CACHE_DIR said; off now means jit writes nothing."""
    files = written_by_jit(tmp_path / "off", "off")
    assert not [f for f in files if "numba" in f or f.endswith((".nbi", ".nbc"))], files
    kept = written_by_jit(tmp_path / "on", str(tmp_path / "cache"))
    assert [f for f in kept if f.endswith(".nbi")], kept


# -- 6. tuples holding arrays and functions --------------------------------------------------------

W1 = np.array([[0.1, 0.2], [0.3, 0.4]])
W2 = np.array([[0.5], [-0.2]])
LAYERS = ((W1, np.tanh), (W2, relu))


def own_relu(z):
    return np.maximum(z, 0.0)


def net_local(x):
    layers = ((W1, np.tanh), (W2, own_relu))
    h = x
    for w, act in layers:
        h = act(h @ w)
    return np.sum(h ** 2)


def net_argument(x, layers):
    h = x
    for w, act in layers:
        h = act(h @ w)
    return np.sum(h ** 2)


def net_global(x):
    h = x
    for w, act in LAYERS:
        h = act(h @ w)
    return np.sum(h ** 2)


def test_tuple_of_arrays_and_functions():
    pytest.importorskip("scipy")  # (Numba's matrix products need SciPy's BLAS)
    x = np.array([[0.1, 0.5], [0.3, -0.4]])
    check(net_local, x)
    layers = ((W1, np.tanh), (W2, own_relu))
    assert np.isclose(jit(net_argument)(x, layers), net_argument(x, layers))
    assert np.allclose(jit(grad(net_argument))(x, layers), grad(net_argument)(x, layers))
    assert np.allclose(jit(grad(net_argument))(x, layers), numeric_grad(
        lambda x: net_argument(x, layers), [x], 0), atol=1e-6)
    for f in (net_global, grad(net_global)):  # (grad refuses it too: located, as jit)
        try:
            got = jit(f)(x)
        except Exception as e:
            assert getattr(e, "filename", None) == __file__, e
            assert e.line == line_of(net_global, "h = act("), e
            with pytest.raises(type(e)):
                grad(net_global)(x)
        else:
            assert np.allclose(got, (f if f is not net_global else net_global)(x))


def stepped(x, a, b, s):
    t = 1.0
    for i in range(a, b, s):
        t = t * x + i
    return t


def stepped_until(x, a, b, s):
    t = 1.0
    for i in range(a, b, s):
        if t > 40.0:
            break
        t = t * x + i
    return t


@pytest.mark.parametrize("f", [stepped, stepped_until])
@pytest.mark.parametrize("a, b, s", [(10, 0, -3), (0, 10, 3), (0, 10, -3), (2, 3, 5), (5, -7, -1)])
def test_a_loop_over_a_range_whose_step_is_an_argument_compiles(f, a, b, s):
    """T49: jit refused `for i in range(a, b, s)` with `s` an argument ("a reversed loop over a
    range with a variable step", with no line): the backward loop counts range's own length."""
    from checks import agree
    agree(f, 1.1, a, b, s)


def test_a_range_step_of_zero_raises_as_python_under_jit():
    with pytest.raises(ValueError):
        jit(grad(stepped))(1.1, 0, 10, 0)
