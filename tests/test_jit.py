"""adcompile.jit: the generated code compiled by Numba gives the CPython results. Skipped without
Numba; a handful of small functions, since each costs a Numba compilation."""
import math
import re
import sys

import numpy as np
import pytest

import adcompile
from adcompile import grad, jit, source, value_and_grad
from adcompile.errors import ArgumentError
from adcompile.jit import JitError

numba = pytest.importorskip("numba")


def logistic(r, x):
    for i in range(50):
        x = r * x * (1.0 - x)
    return x


def heat(k, t, cp=4.0):
    """A small plain-float simulation with an abs at the end (the building benchmark's shape)."""
    for i in range(5):
        t = t - k * (t - 20.0) / cp
    return abs(t - 21.0) + math.sin(k)


def strided(x):
    s = 0.0
    for i in range(1, 9, 3):
        s = s + math.sin(x * i) * s + x
    return s


def stops(x):
    s = 0.0
    for i in range(10):
        s = s + x * i
        if s > 3.0:
            break  # the flag recording it is a constant True on one path, False on the other
    return s * s


def states(x):
    for i in range(3):
        x = np.tanh(x)  # arrays on the tape: jit falls back to typed lists
    return np.sum(x)


def test_grad_and_function_equal_cpython():
    df = grad(logistic, argnums=(0, 1))
    assert np.allclose(jit(df)(3.7, 0.3), df(3.7, 0.3), rtol=1e-12, atol=0)
    assert jit(logistic)(3.7, 0.3) == pytest.approx(logistic(3.7, 0.3), rel=1e-12)
    vg = value_and_grad(heat, argnums=(0, 1, 2))
    with pytest.raises(ArgumentError, match="does not pass it"):  # (argnums picks c, left to
        jit(vg)(0.3, 35.0)  # its default: data, not differentiated, as in JAX: T53)
    value, grads = jit(vg)(0.3, 35.0, 4.0)
    assert value == pytest.approx(heat(0.3, 35.0, 4.0), rel=1e-12)
    assert np.allclose(grads, vg(0.3, 35.0, 4.0)[1], rtol=1e-12, atol=0)
    assert jit(grad(strided))(0.7) == pytest.approx(grad(strided)(0.7), rel=1e-12)
    assert jit(grad(stops))(0.3) == pytest.approx(grad(stops)(0.3), rel=1e-12)


def test_array_tapes_fall_back_to_lists():
    x = np.array([0.5, -1.0, 2.0])
    jitted = jit(grad(states))
    assert np.allclose(jitted(x), grad(states)(x))
    assert ".append(" in source(jitted)


def test_source_shows_the_numba_variant():
    text = source(jit(grad(logistic)))
    assert "reversed" not in text and "type(" not in text and "tape = []" not in text
    assert "for i in range(49, -1, -1):" in text and "tape_x_1 = np.empty(50)" in text
    assert "reversed(range(50))" in source(grad(logistic))  # the Python source is unchanged


def coupled(a, b, c):
    """Three temperatures exchanging heat: several floats taped per step."""
    for i in range(6):
        q = (a - b) * c
        a, b = a - q / 3.0, b + q / (2.0 + a * a)
    return abs(a * b - 1.0)


def mixed(x, v):
    for i in range(4):
        x = x * 0.5 + math.sin(x)
        v = np.tanh(v * x)  # an array and a float on the tapes of one loop
    return np.sum(v) + x


def test_the_tapes_of_one_loop_share_one_array():
    df = grad(coupled, argnums=(0, 1, 2))
    text = source(jit(df))
    assert "tape_i = np.empty((6, " in text and "tape_put(tape_i, (i, 1), " in text, text
    assert np.allclose(jit(df)(0.9, 0.4, 0.3), df(0.9, 0.4, 0.3), rtol=1e-12, atol=0)
    dm = grad(mixed, argnums=(0, 1))
    v = np.array([0.5, -0.2])
    assert all(np.allclose(a, b, rtol=1e-12, atol=0) for a, b in zip(jit(dm)(0.3, v), dm(0.3, v)))


def test_integer_argument_is_refused():
    with pytest.raises(ArgumentError, match="floating-point"):
        jit(grad(logistic))(3, 0.3)


def graded(x):
    return np.sum(np.gradient(x) * np.arange(3.0))


def test_what_numba_cannot_compile_is_named_at_the_users_line():
    """np.gradient's gradient calls a helper with no Numba version: the user's line is named,
    and the helper with the generated line that calls it (T37: a helper left unnamed could not
    be looked up; np.roll, then np.tile were the example until their gradients compiled)."""
    with pytest.raises(JitError,
                       match=r"test_jit.py:\d+: .*`return np.sum\(np.gradient\(x\) \* np.arange"):
        jit(grad(graded))(np.array([1.0, 2.0, 4.0]))
    with pytest.raises(JitError, match="adcompile's helper `gradient_grad` \\(called by `"):
        jit(grad(graded))(np.array([1.0, 2.0, 4.0]))


def median_along(A):
    return np.sum(np.median(A, axis=0))


def mean_along(A):  # (the name of jit's helper for np.mean along an axis)
    return np.sum(np.mean(A, axis=0) ** 2)


def test_what_numba_lacks_in_the_users_code_is_named():
    with pytest.raises(JitError, match=r"test_jit.py:\d+: Numba cannot compile median with these"
                       r" arguments in `return np.sum\(np.median\(A, axis=0\)\)`"):
        jit(median_along)(np.ones((2, 2)))
    A = np.array([[1.0, 2.0], [0.5, -1.0]])  # (np.mean along an axis compiles: jit_along)
    assert np.isclose(jit(mean_along)(A), mean_along(A))


def test_a_jitted_function_is_not_differentiated_again():
    with pytest.raises(ArgumentError, match="jit"):
        grad(jit(logistic))


def test_numba_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)
    with pytest.raises(JitError, match="pip install"):
        jit(logistic)


W = 2.0


def scaled(x):
    return W * x


def test_a_changed_global_is_not_served_from_numba_cache():
    global W
    assert jit(scaled)(3.0) == 6.0
    W = 5.0
    try:
        assert jit(scaled)(3.0) == 15.0
    finally:
        W = 2.0


def test_exported():
    assert adcompile.jit is jit and "jit" in adcompile.__all__


def relax(a, b, x):
    for i in range(20):
        x = x + (a - x) / b / 2.0  # divisions by loop invariants: reciprocals under fastmath
    return x * x


def test_fastmath_reaches_numba_and_rounds_within_bounds():
    df = grad(relax, argnums=(0, 1, 2))
    fast = jit(df, fastmath=True)
    assert np.allclose(fast(2.0, 3.0, 1.0), df(2.0, 3.0, 1.0), rtol=1e-10, atol=0)
    assert fast.dispatcher.targetoptions["fastmath"] == {"reassoc", "arcp", "contract"}
    plain = jit(df)
    assert plain is not fast and not plain.dispatcher.targetoptions.get("fastmath")
    # Numba's disk cache is keyed by the file: the two must not share machine code
    assert plain.py_func.__code__.co_filename != fast.py_func.__code__.co_filename
    assert jit(fast, fastmath=True) is fast and jit(fast).fastmath == frozenset()
    exact = jit(fast, fastmath={"contract"})
    assert exact.fastmath == {"contract"} and exact(2.0, 3.0, 1.0) == pytest.approx(
        df(2.0, 3.0, 1.0), rel=1e-10)


def nan_test(x):
    y = x * x
    return math.isnan(y)


def test_fastmath_keeps_nan_and_infinity():
    """Numba's own fastmath=True lets LLVM assume no NaN: `isnan` would fold to False."""
    fast = jit(nan_test, fastmath=True)
    assert fast(float("nan")) is True and fast(2.0) is False


@pytest.mark.parametrize("flags", ["fast", {"fastest"}, 1, {1}])
def test_fastmath_takes_true_false_or_flag_names(flags):
    with pytest.raises(ArgumentError, match="fastmath must be"):
        jit(logistic, fastmath=flags)


def powers_in_a_loop(x):
    s = 0.0
    for k in range(5):
        s += (k + 1.0) * x ** k + 2.0 ** (x * k) + x ** x
    return s


def test_powers_with_a_computed_exponent_compile():
    """pow_dx and pow_dy (x ** k, 2.0 ** (x * k)) had no Numba version: 'Untyped global'."""
    assert jit(grad(powers_in_a_loop))(0.6) == pytest.approx(grad(powers_in_a_loop)(0.6),
                                                            rel=1e-12)


# -- array code: the runtime helpers its gradients call have Numba versions ---------------------

def weighted_tanh(x, w):
    out = 0.0
    for i in range(x.shape[0]):
        out += math.tanh(w * x[i]) * (i + 1) + x[i] * x[i]  # x[i] read again: adds up
    return out


def fill(x0, k):
    x = x0.copy()
    for i in range(len(x)):
        x[i] = k * x[i]  # setitem, in the function and in its gradient
    return np.sum(x * x)


def recurrence(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = y[i - 1] * 0.5 + x[i]
    y[1:3] = y[1:3] * 2.0  # a slice written
    return np.sum(y ** 2) + np.mean(y)


def grid(A):
    s = 0.0
    for i in range(A.shape[0]):
        s += np.sum(A[i] ** 2) * (i + 1)  # a row: a 1-D part of the 2-D gradient
        for j in range(A.shape[1]):
            s += A[i, j] * A[j, i]
    return s + np.sum(A[1:, :2] * A[:-1, 1:]) + A[-1, -1] * A[0, 0]


def means(x):
    return np.mean(x ** 2) + x.mean() * np.sum(np.sin(x)) + np.var(x) + np.std(x) + \
        adcompile.logsumexp(x)


def means_of_a_number(s):
    return np.mean(s * s) + np.mean(np.array([s, 2.0 * s]))


def activations(x):
    return np.sum(adcompile.relu(x) ** 2 + adcompile.sigmoid(x) * x) + np.sum(
        adcompile.softplus(x) - adcompile.log_sigmoid(2.0 * x))


def activations_of_a_number(s):
    return adcompile.relu(s) * s + adcompile.sigmoid(s) + adcompile.softplus(-s)


def summed_activations(s):
    return np.sum(activations_of_a_number(s))


def picked(x):
    idx = np.array([0, 2, 2])  # a repeated index: its gradients add up
    y = np.zeros(3)
    y[np.array([1, 1, 0])] = x[:3] * 3.0  # the last write to y[1] wins
    return np.sum(x[idx] ** 2) + np.sum(y * x[3:])


def reductions(A, x):
    v = np.dot(A, x) + A.T @ x
    return np.sum(np.tanh(v)) + np.max(A) + np.min(x) + np.linalg.norm(x) + np.prod(x) + np.sum(
        np.sum(A, axis=1) ** 2) + np.sum(np.abs(x))


def finite_differences(f, args, argnum, eps=1e-6):
    x = args[argnum]
    if np.ndim(x) == 0:
        up, down = list(args), list(args)
        up[argnum], down[argnum] = x + eps, x - eps
        return (f(*up) - f(*down)) / (2 * eps)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[k] = eps
        up, down = list(args), list(args)
        up[argnum], down[argnum] = x + step, x - step
        out[k] = (f(*up) - f(*down)) / (2 * eps)
    return out


X = np.array([0.1, 0.5, -0.3, 0.7, 0.2, -0.4])
A = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.6], [0.7, 0.2, 0.05]])


@pytest.mark.parametrize("f, args, argnum", [
    (weighted_tanh, (X, 1.3), 0), (weighted_tanh, (X, 1.3), 1), (fill, (X, 2.0), 0),
    (fill, (X, 2.0), 1), (recurrence, (X,), 0), (grid, (A,), 0), (means, (X,), 0),
    (means_of_a_number, (0.7,), 0), (activations, (X,), 0), (activations_of_a_number, (0.4,), 0),
    (activations_of_a_number, (-0.4,), 0), (picked, (X,), 0), (reductions, (A, X[:3]), 0),
    (reductions, (A, X[:3]), 1)])
def test_array_code_compiles_and_equals_python_and_finite_differences(f, args, argnum):
    if f is reductions:  # (Numba's np.dot and norms need SciPy's BLAS, not a test extra)
        pytest.importorskip("scipy")
    df = grad(f, argnum)
    expected = df(*args)
    assert np.allclose(jit(df)(*args), expected, rtol=1e-12, atol=1e-14)
    assert np.allclose(expected, finite_differences(f, args, argnum), rtol=1e-6, atol=1e-8)
    assert jit(f)(*args) == pytest.approx(f(*args), rel=1e-12)


def test_a_float32_argument_is_refused():
    """Numba computes float32 in float64 (NumPy in float32): refused, naming the parameter
    (tests/test_jit_found2.py)."""
    x = np.array([-1.0, 0.5], dtype=np.float32)
    with pytest.raises(JitError, match="float32.*Cast it to float64") as e:
        jit(activations_of_a_number)(x)
    assert e.value.line == activations_of_a_number.__code__.co_firstlineno  # (T51: none named)
    for narrow in (np.float32, np.float16):
        with pytest.raises(JitError, match="Cast it to float64") as e:
            jit(grad(summed_activations))(x.astype(narrow))
        assert e.value.line == summed_activations.__code__.co_firstlineno
    assert jit(activations_of_a_number)(x.astype(np.float64)).dtype == np.float64


def param_named_sign(x, sign):
    s = 0.0
    for i in range(3):
        s = s + abs(x * i) * sign
    return s


def test_a_helper_shadowed_by_a_parameter_is_called_under_its_alias():
    expected = grad(param_named_sign, argnums=(0, 1))(1.5, 2.0)
    assert jit(grad(param_named_sign, argnums=(0, 1)))(1.5, 2.0) == pytest.approx(expected)


# -- Python's integers: exact, where Numba's int64 wrap; an int to a negative int power a float --

def taylor_exp(x):
    s = 1.0
    fact = 1
    for k in range(1, 30):
        fact *= k  # 21! > 2 ** 63
        s += x ** k / fact
    return s


def doubled(x):
    n = 1
    for i in range(64):
        n = n * 2
    return x * n / 2 ** 63


def digits(x):
    return int(x * 1e20) % 7 + x


def scaled_power(x, n):
    return x * n ** 30


def test_an_integer_outgrowing_int64_raises_at_the_users_line():
    """Numba's int64 wrapped silently where Python's int grows: jit(taylor_exp)(8.0) was
    -25797479.0 (Python: 2980.96), jit(grad(taylor_exp)) -92938429.2, jit(doubled)(1.5) 0.0
    (3.0), int(x * 1e20) and 5 ** 30 wrapped too. Now an OverflowError names the line."""
    for f, line in [(taylor_exp, "fact *= k"), (grad(taylor_exp), "fact *= k"),
                    (doubled, "n = n * 2"), (digits, "return int(x * 1e20)")]:
        with pytest.raises(OverflowError, match=rf"test_jit.py:\d+: .*int64 in `{re.escape(line)}"):
            jit(f)(8.0)
    with pytest.raises(OverflowError, match=r"`return x \* n \*\* 30`"):
        jit(scaled_power)(1.5, 5)
    assert jit(scaled_power)(1.5, 2) == scaled_power(1.5, 2)  # 2 ** 30 fits: exact


def bernstein(t):
    """Integer binomial coefficients made by products: exact and small, compiled as they are."""
    n = 12
    s = 0.0
    c = 1
    for k in range(n + 1):
        s += c * t ** k * (1.0 - t) ** (n - k) * k
        c = c * (n - k) // (k + 1)
    return s


def flat_index(a, b):
    s = 0.0
    n = len(b)
    for i in range(len(a)):
        for j in range(n):
            s += a[i] * b[j] * (i * n + j + 1) + (i % 2) * a[i]
    return s


def test_integer_arithmetic_that_fits_gives_pythons_numbers():
    assert jit(bernstein)(0.3) == pytest.approx(bernstein(0.3), rel=1e-14)
    assert jit(grad(bernstein))(0.3) == pytest.approx(grad(bernstein)(0.3), rel=1e-14)
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0])
    assert jit(flat_index)(a, b) == pytest.approx(flat_index(a, b), rel=1e-14)
    assert np.allclose(jit(grad(flat_index))(a, b), grad(flat_index)(a, b), rtol=1e-14, atol=0)
    text = source(jit(grad(logistic, argnums=(0, 1))))  # floats: written as Python wrote them
    assert "checked" not in text and "real_pow" not in text


def halving_sum(x):
    s = 0.0
    for k in range(1, 5):
        s += x * 2 ** -k
    return s


def decimal_weights(x):
    s = 0.0
    for i in range(len(x)):
        s += x[i] * 10 ** -i
    return s


def powers_of(x, n):
    s = 0.0
    for k in range(4):
        s += x * n ** (k - 2)
    return s


def test_an_integer_to_a_negative_integer_power_is_a_float():
    """2 ** -k is 0.5, 0.25, ... in Python; under jit it was Numba's integer power, 0: jit of
    halving_sum and of its gradient gave 0.0 (1.21875 and 0.9375)."""
    assert jit(halving_sum)(1.3) == halving_sum(1.3)
    assert jit(grad(halving_sum))(1.3) == grad(halving_sum)(1.3) == 0.9375
    x = np.array([1.0, 2.0, 3.0])
    assert jit(decimal_weights)(x) == decimal_weights(x)
    assert np.array_equal(jit(grad(decimal_weights))(x), grad(decimal_weights)(x))
    assert jit(powers_of)(1.5, 2) == powers_of(1.5, 2)
    assert jit(grad(powers_of))(1.5, 2) == grad(powers_of)(1.5, 2)
    with pytest.raises(ZeroDivisionError):
        jit(powers_of)(1.5, 0)  # 0 ** -2, as in Python


# -- jit of a derivative is that derivative compiled: every option of grad carried over ---------

def same(a, b):
    """Equal values in the same structure (types of containers, dict keys, namedtuple fields)."""
    if isinstance(b, dict):
        return type(a) is type(b) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in b)
    if isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-12, atol=1e-14)


def loss_and_dict(x):
    return np.sum(x ** 2), {"m": np.max(x)}


def loss_and_tuple(x):
    return np.sum(x ** 2), (np.max(x), x * 2.0)


def loss_and_nested(x, w):
    y = np.tanh(x * w)
    return np.sum(y) * w, {"y": [y, w], "t": (np.min(y), {"s": np.sum(x)})}


def loss_and_number(x, w):
    return np.sum(np.sin(x)) * w, w * 3.0


V = np.array([0.3, -0.5, 1.2])


@pytest.mark.parametrize("make, f, args, argnums, optimize", [
    (grad, loss_and_dict, (V,), 0, True), (grad, loss_and_dict, (V,), (0,), False),
    (grad, loss_and_tuple, (V,), 0, True), (grad, loss_and_nested, (V, 0.7), (0, 1), True),
    (grad, loss_and_nested, (V, 0.7), 1, False), (value_and_grad, loss_and_dict, (V,), 0, True),
    (value_and_grad, loss_and_nested, (V, 0.7), (0, 1), True),
    (value_and_grad, loss_and_number, (V, 0.7), 0, True),
    (value_and_grad, loss_and_number, (V, 0.7), (1,), False)])
def test_jit_of_a_derivative_with_aux_returns_what_it_returns(make, f, args, argnums, optimize):
    """The aux is not differentiated (it was, as part of the output) and comes back in its
    structure; argnums, optimize and value_and_grad are kept too."""
    df = make(f, argnums, has_aux=True, optimize=optimize)
    assert same(jit(df)(*args), df(*args))


def test_jit_of_grad_with_aux_equals_finite_differences():
    def loss(x):
        return np.sum(loss_and_nested(x, 0.7)[0])
    gradient, aux = jit(grad(loss_and_nested, has_aux=True))(V, 0.7)
    assert np.allclose(gradient, finite_differences(loss, (V,), 0), rtol=1e-6)
    assert same(aux, loss_and_nested(V, 0.7)[1])


def sines(a, b=2.0):
    return np.sum(np.sin(a)) * b


@pytest.mark.parametrize("make", [grad, value_and_grad])
def test_jit_takes_keywords_and_defaults_as_what_it_compiles(make):
    df, jf = make(sines), jit(make(sines))
    assert same(jf(V, b=3.0), df(V, b=3.0))
    assert same(jf(a=V, b=3.0), df(a=V, b=3.0))
    assert same(jf(b=3.0, a=V), df(V, 3.0))
    assert same(jf(a=V), df(V))
    assert same(jit(make(sines, argnums=(0, 1)))(V, b=3.0), make(sines, argnums=(0, 1))(V, b=3.0))
    with pytest.raises(TypeError):
        jf(V, c=1.0)
    with pytest.raises(TypeError):
        df(V, c=1.0)


def test_jit_of_a_function_takes_keywords():
    assert jit(sines)(V, b=3.0) == pytest.approx(sines(V, b=3.0), rel=1e-12)
    assert jit(sines)(a=V) == pytest.approx(sines(V), rel=1e-12)
    assert jit(heat)(0.3, cp=5.0, t=30.0) == pytest.approx(heat(0.3, 30.0, 5.0), rel=1e-12)


def test_jit_of_grad_of_a_partial_binds_what_the_partial_binds():
    import functools
    bound = functools.partial(sines, b=3.0)
    assert same(jit(grad(bound))(V), grad(bound)(V))
    first = functools.partial(sines, V)
    assert same(jit(grad(first))(0.7), grad(first)(0.7))


# -- containers: flattened as grad's wrapper flattens them, the gradient in their structure -----

Pair = __import__("collections").namedtuple("Pair", "w b")


def of_dict(p, x):
    return np.sum(np.tanh(p["w"] * x)) + p["b"] ** 2


def of_namedtuple(p, x):
    return np.sum(np.tanh(p.w * x)) + p.b ** 2


def of_list(ws, x):
    s = 0.0
    for w in ws:
        s = s + np.sum(np.sin(w * x))
    return s


def of_nested(p, x):
    h = np.tanh(p["layers"][0]["W"] @ x + p["layers"][0]["b"])
    return np.sum(p["layers"][1].w * h) + p["scale"] * np.sum(x)


NESTED = {"layers": [{"W": A.copy(), "b": V.copy()}, Pair(V * 2.0, 0.0)], "scale": 0.5}


@pytest.mark.parametrize("f, args", [
    (of_dict, ({"w": V.copy(), "b": 0.5}, V)), (of_namedtuple, (Pair(V.copy(), 0.5), V)),
    (of_list, ([V.copy(), V * 0.5], V)), (of_nested, (NESTED, V))])
@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_jit_of_grad_of_containers_equals_grad(f, args, argnums):
    if f is of_nested:
        pytest.importorskip("scipy")  # (Numba's @ needs SciPy's BLAS)
    df = grad(f, argnums)
    assert same(jit(df)(*args), df(*args))
    vg = value_and_grad(f, argnums)
    assert same(jit(vg)(*args), vg(*args))


def test_jit_of_grad_of_a_dict_equals_finite_differences():
    p = {"w": V.copy(), "b": 0.5}
    gradient = jit(grad(of_dict))(p, V)

    def of_w(w):
        return of_dict({"w": w, "b": 0.5}, V)

    def of_b(b):
        return of_dict({"w": V, "b": b}, V)
    assert np.allclose(gradient["w"], finite_differences(of_w, (V.copy(),), 0), rtol=1e-6)
    assert gradient["b"] == pytest.approx(finite_differences(of_b, (0.5,), 0), rel=1e-6)


def scaled_fields(p, x):
    return {"y": p["w"] * x, "z": [p["b"] * 2.0]}


def test_jit_of_a_function_of_containers_returns_its_structure():
    p = {"w": V.copy(), "b": 0.5}
    assert same(jit(scaled_fields)(p, V), scaled_fields(p, V))
    assert same(jit(of_namedtuple)(Pair(V, 0.5), V), of_namedtuple(Pair(V, 0.5), V))


def test_jit_of_grad_of_containers_is_not_differentiated_again():
    for f in (of_dict, of_namedtuple):
        with pytest.raises(ArgumentError, match="compiled by jit"):
            grad(jit(grad(f)), 1)


def test_a_jacobian_is_refused_as_jit_cannot_compile_it():
    for make in (adcompile.jacfwd, adcompile.jacrev, adcompile.hessian):
        with pytest.raises(JitError, match=r"test_jit.py:\d+: jit compiles .* a Jacobian"):
            jit(make(sines))


# --- jit(grad(f)) of `return u @ u` (a 1-D product, common at the end of a PDE loop): the seed
# of a product's output, expand_to, had no Numba version (JitError "no Numba version of the code
# that `return u @ u` becomes") -----------------------------------------------------------------
def relaxed_energy(u):
    for _ in range(3):
        u = u * 0.9 + 0.1 * np.sin(u)
    return u @ u


def test_jit_of_a_gradient_ending_in_a_vector_product():
    x = np.linspace(0.1, 1.0, 5)
    try:
        import scipy  # noqa: F401  (Numba's matrix products need SciPy's BLAS)
    except ImportError:
        with pytest.raises(JitError, match="install SciPy"):
            jit(grad(relaxed_energy))(x)
        return
    assert np.allclose(jit(grad(relaxed_energy))(x), grad(relaxed_energy)(x))
    assert np.isclose(jit(relaxed_energy)(x), relaxed_energy(x))


def kepler_in_place(M):
    E = M
    for _ in range(20):
        E -= (E - 0.3 * math.sin(E) - M) / (1 - 0.3 * math.cos(E))
    return E


def test_an_augmented_assignment_of_a_number_compiles():
    """`E -= dE` of a float kept generated code's check_not_in_place, which had no Numba
    version (a number is never changed in place: the check is a no-op there)."""
    assert jit(grad(kepler_in_place))(1.0) == pytest.approx(grad(kepler_in_place)(1.0), rel=1e-12)


def masked_cubes(x):
    m = x > 0
    return np.sum(x[m] ** 3)


def powers(x, g):
    return np.sum((1 - x) ** g + x ** 2.0)


def test_a_boolean_mask_and_an_array_power_compile():
    """getitem_grad of a mask and pow_dx/pow_dy of arrays had no Numba versions (refused)."""
    x = np.array([0.3, -0.2, 0.5])
    np.testing.assert_allclose(jit(grad(masked_cubes))(x), grad(masked_cubes)(x), rtol=1e-12)
    for g in (2.0, np.array([2.0, 0.0, 1.5])):
        np.testing.assert_allclose(jit(grad(powers, argnums=(0, 1)))(x, g)[0],
                                   grad(powers, argnums=(0, 1))(x, g)[0], rtol=1e-12)
        np.testing.assert_allclose(jit(grad(powers, argnums=(0, 1)))(x, g)[1],
                                   grad(powers, argnums=(0, 1))(x, g)[1], rtol=1e-12)


def named_like_the_wrapper(e, current, failed=2.0):
    return e * current * failed


def test_jit_wrapper_takes_the_parameters_of_the_code():
    """jit's wrapper has the compiled code's own parameters where they are plain (issue 11: no
    *args packed and unpacked per call), whatever they are named."""
    import inspect
    jf = jit(grad(heat))
    assert list(inspect.signature(jf).parameters) == list(inspect.signature(heat).parameters)
    assert jf(0.3, cp=5.0, t=30.0) == pytest.approx(grad(heat)(0.3, 30.0, 5.0), rel=1e-12)
    jg = jit(grad(named_like_the_wrapper, argnums=(0, 1, 2)))
    want = grad(named_like_the_wrapper, argnums=(0, 1, 2))(0.5, 3.0, 2.0)
    assert jg(0.5, 3.0, 2.0) == pytest.approx(want, rel=1e-12)
    assert jg(current=3.0, e=0.5, failed=2.0) == pytest.approx(want, rel=1e-12)
    with pytest.raises(ArgumentError, match="failed is differentiated"):  # (its default: data,
        jg(0.5, 3.0)  # not differentiated, as in JAX: T53)
    with pytest.raises((TypeError, ArgumentError), match="named_like_the_wrapper"):
        jg(0.5)  # (ArgumentError: the call is checked for its differentiated parameters)
