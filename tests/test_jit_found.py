"""adcompile.jit: defects a tester found (second derivatives of loops, a (1, k) bias,
stop_gradient, messages that name the construct, helpers of derivative code without a Numba
version). Skipped without Numba."""
import math


import numpy as np
import pytest

try:
    from scipy import special
except ImportError:  # (SciPy is optional: only test_xdivy_under_numba needs it)
    special = None

from adcompile import grad, jit, logsumexp, source, stop_gradient
from adcompile import runtime_arrays
from adcompile.api import compile_derivative
from adcompile.jit import JitError
from checks import assert_close, directional, numeric_grad

numba = pytest.importorskip("numba")


def horner(x):
    s = 0.0
    for i in range(3):
        s = s * x + 1.0
    return s


def sines(x):
    s = 0.0
    for i in range(1, 4):
        s = s + math.sin(x * i)
    return s * x


def squares(x):
    y = x
    for i in range(3):
        y = y * y * 0.5
    return y


def stops_early(x):
    h = 0.0
    for t in range(6):
        h = math.tanh(x * h + 0.3 * t)
        if h > 0.9:
            return h * 2.0
        if h < -0.95:
            break
    return h


def settles(x):
    h = x
    t = 0
    while t < 6:
        h = math.tanh(x * h + 0.5)
        t += 1
    return h


def spring(k, x0=1.0):
    p = x0
    v = 0.0
    for _ in range(10):
        a = -k * p - 0.1 * v
        v = v + 0.1 * a
        p = p + 0.1 * v
    return p * p + v * v


@pytest.mark.parametrize("f", [horner, sines, squares, stops_early, settles, spring])
def test_second_derivative_of_a_loop(f):
    """grad(grad(f)) of a scalar loop: the inner derivative's tapes are popped into names other
    than those pushed (its code was renamed), and are made inside its float path."""
    want = grad(grad(f))(0.5)
    assert jit(grad(grad(f)))(0.5) == pytest.approx(want, rel=1e-10, abs=1e-14)


def series(x):
    s = 0.0
    for i in range(6):
        s = s + x ** i / math.factorial(i)
    return s


def test_second_derivative_without_a_numba_helper():
    """A function Numba lacks that the derivative calls under another name (`factorial_`, the
    user's math.factorial) is named as the user wrote it, at the user's line."""
    with pytest.raises(JitError) as e:
        jit(grad(grad(series)))(0.5)
    assert "Numba cannot compile math.factorial (`factorial_`" in str(e.value)
    assert "x ** i / math.factorial(i)" in str(e.value)


def biased(b, x):
    return np.sum((x + b) ** 2)


@pytest.mark.parametrize("b, x", [
    (np.zeros((1, 2)), np.ones((4, 2))),       # a row of biases
    (np.zeros((3, 1)), np.arange(6.0).reshape(3, 2)),  # a column
    (np.zeros((1, 1)), np.ones((2, 3))),
    (np.zeros((1, 3)), np.arange(24.0).reshape(2, 4, 3)),  # fewer axes, one of length 1
    (np.zeros((2, 1, 3)), np.arange(24.0).reshape(2, 4, 3)),
    (np.zeros(1), np.arange(3.0)),
])
def test_gradient_of_a_broadcast_axis_of_length_one(b, x):
    """A (1, k) bias: its gradient sums over the axis it was broadcast along, keeping it."""
    want = grad(biased)(b, x)
    got = jit(grad(biased))(b, x)
    assert got.shape == b.shape
    np.testing.assert_allclose(got, want, rtol=1e-12)


def stable_lse(x):
    m = np.max(x)
    return np.log(np.sum(np.exp(x - m))) + m


def stopped(w, x):
    z = x * w  # (elementwise: Numba's @ would need SciPy, which CI's jit venv lacks)
    t = stop_gradient(np.tanh(z))
    return np.sum((z - t) ** 2)


def stopped_scalar(x):
    return stop_gradient(x) * x


@pytest.mark.parametrize("f, args", [
    (stable_lse, (np.array([0.3, -0.2, 0.5, 0.1]),)),  # the stabilizer gets a stop_gradient
    (stopped, (np.ones(3) * 0.1, np.arange(6.0).reshape(2, 3) / 6)),
    (stopped_scalar, (0.5,)),
])
def test_stop_gradient(f, args):
    """stop_gradient, written or put in by adcompile itself, is the identity under Numba."""
    assert np.allclose(jit(f)(*args), f(*args))
    np.testing.assert_allclose(jit(grad(f))(*args), grad(f)(*args), rtol=1e-12)


def rnn(w, xs):
    h = 0.0
    for t in range(len(xs)):
        h = math.tanh(w * h + xs[t])
    return h


def test_list_of_floats_indexed_at_run_time():
    """The gradient of `xs[t]` where xs is a list of floats: one entry per element of the list."""
    xs = [0.1, -0.2, 0.3]
    want = grad(rnn, argnums=(0, 1))(0.5, xs)
    got = jit(grad(rnn, argnums=(0, 1)))(0.5, xs)
    assert got[0] == pytest.approx(want[0], rel=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


def center(x):
    return x - np.median(x, axis=1, keepdims=True)


def centered(x):
    return np.sum(center(x) ** 2)


def grows(x):
    acc = 0.0
    for i in range(3):
        acc = acc + x * i
    return np.sum(acc)


def scores(z):
    return logsumexp(z, axis=(0,)) * z[0]


def through_helper(z):
    return scores(z) * 2.0


def test_package_function_in_a_helper_is_named():
    """logsumexp along a tuple of axes (no Numba version), written by the user in a helper, is
    named as adcompile's, with the user's line."""
    with pytest.raises(JitError) as e:
        jit(grad(through_helper))(np.array([0.1, 0.2, 0.3]))
    assert "adcompile's `logsumexp`" in str(e.value) and \
        "`return logsumexp(z, axis=(0,)) * z[0]`" in str(e.value)
    assert "for an array of 1 axis, a tuple" in str(e.value)
    assert e.value.line == scores.__code__.co_firstlineno + 1  # (the helper's own line)


def test_messages_name_the_construct():
    """What Numba cannot compile is named where a helper of the user's holds it, and a name
    whose type changes is named; no advice about loops over elements where it does not fit."""
    with pytest.raises(JitError) as e:
        jit(centered)(np.ones((2, 3)))
    assert "median" in str(e.value) and "np.median(x, axis=1, keepdims=True)" in str(e.value)
    assert e.value.line == center.__code__.co_firstlineno + 1  # (the helper's own line)
    assert "loop over the elements" not in str(e.value)
    with pytest.raises(JitError) as e:
        jit(grad(grows))(np.ones(3))
    assert "`acc`" in str(e.value) and "loop over the elements" not in str(e.value)


def dot_of_lists(ws, xs):
    return sum(w * x for w, x in zip(ws, xs))


def grown_from_empty(rate):
    flows = [-100.0, 30.0, 40.0]
    ys = [cf / (1 + rate) ** t for t, cf in enumerate(flows)]
    return sum(ys)


def test_message_of_a_list_built_from_empty():
    """A list built from [] (a comprehension's) compiles since stop 40: its appends are in place
    under jit (jit_forms.appends_in_place); it was refused with a message before."""
    assert jit(dot_of_lists)([0.1, 0.2], [0.3, 0.4]) == dot_of_lists([0.1, 0.2], [0.3, 0.4])
    assert jit(grown_from_empty)(0.5) == grown_from_empty(0.5)
    assert jit(grad(grown_from_empty))(0.5) == pytest.approx(grad(grown_from_empty)(0.5),
                                                            rel=1e-12)


def appended(x, n):
    out = []
    for i in range(n):
        out.append(x * i)
    return sum(out)


def appended_and_read(x, n):
    out = []
    squares = []
    for i in range(n):
        out.append(x * i)
        squares.append(out[-1] ** 2)
    return sum(squares) + out[0]


def test_message_of_a_list_grown_by_append_names_append():
    """T45: the message said the list grows by `+`, which the user never wrote (append
    becomes + in the generated code). A list only appended to and summed compiles (stop 40);
    one read while it grows (its values taped for the gradient) is still refused."""
    assert jit(grad(appended))(2.0, 4) == grad(appended)(2.0, 4)
    with pytest.raises(JitError) as e:
        jit(grad(appended_and_read))(2.0, 4)
    assert "the list `out`" in str(e.value) and "(append, +=)" in str(e.value)
    assert "by `+`" not in str(e.value)
    assert "sum(f(x) for x in xs) is such a loop" in str(e.value)


def previous_or_none(x, n):
    prev = None
    s = 0.0
    for i in range(n):
        if prev is not None:
            s = s + prev * x
        prev = x * i
    return s


def test_a_value_none_at_first_is_refused_by_name():
    """`prev = None` then a number: jit(f) runs it, jit(grad(f)) tapes prev, and a tape holds
    one type under Numba: a TypeError from inside Numba before, now a JitError at that line."""
    assert jit(previous_or_none)(1.5, 4) == previous_or_none(1.5, 4)
    with pytest.raises(JitError) as e:
        jit(grad(previous_or_none))(1.5, 4)
    assert "`prev = None`" in str(e.value) and "flag" in str(e.value)
    assert f"test_jit_found.py:{previous_or_none.__code__.co_firstlineno + 1}" in str(e.value)


def into_a_0d_array(x):
    acc = np.zeros(())
    for i in range(x.shape[0]):
        acc += x[i] ** 2
    return np.sum(acc)


def scaled_by_a_0d_array(x, b):
    return np.sum(x * b)


def test_zero_dimensional_arrays():
    """A 0-d array argument's gradient (unbroadcast to 0 axes) crashed inside adcompile.jit
    with a SyntaxError of the helper it writes; `acc += row` into a 0-d array, which NumPy
    refuses, is refused with the types Numba found."""
    x, b = np.ones((3, 2)), np.array(2.0)
    assert jit(grad(scaled_by_a_0d_array, argnums=1))(x, b) == 6.0
    with pytest.raises(JitError, match="array of 0 axes at one point and an array of 1 axis"):
        jit(grad(into_a_0d_array))(x)


# --- helpers of derivative code that had no Numba version (jit named them and refused) ---------

def sorted_by_key(x):
    ys = sorted([x[0] * 2.0, x[1] - 1.0, x[2]], key=lambda v: v * v)
    return ys[0] * 3.0 + ys[1] * ys[2]


def sorted_reversed(x):
    ys = sorted([x[0] * x[1], x[1], x[0] + x[2], x[2]], reverse=True)
    return ys[0] * 2.0 + ys[1] * ys[3]


def transposed(x):
    return np.sum(np.transpose(x, (-1, 0, 1)) ** 2 * np.arange(24.0).reshape(4, 2, 3))


def cumprod_weighted(x):
    return np.sum(np.cumprod(x) * np.arange(1.0, 1.0 + x.size))


def column_stacked(x):
    cols = [x]
    for i in range(2):
        cols.append(x * (i + 2.0))
    return np.sum(np.column_stack(cols) ** 2 * np.arange(1.0, 10.0).reshape(3, 3))


def sinc_sum(x):
    return np.sum(np.sinc(x) * x)


def sinc_scaled(x):
    return np.sinc(x * 0.3) * x


def product_of_four(x):
    return np.prod(np.array([x, x * 2.0, 3.0 - x, x * x]))


HELPED = [  # (f, its argument, the derivative to compile, the helper it calls)
    (sorted_by_key, np.array([0.3, 1.5, -0.7]), grad, "sorted_order"),
    (sorted_reversed, np.array([0.3, 1.5, -0.7]), grad, "sorted_order"),
    (transposed, np.linspace(0.5, 2.0, 24).reshape(2, 3, 4), grad, "untranspose"),
    (cumprod_weighted, np.array([2.0, 0.0, 3.0, 0.5]), grad, "cumprod_vjp"),
    (cumprod_weighted, np.array([[2.0, -1.0], [3.0, 0.5]]), grad, "cumprod_vjp"),  # no zero
    (column_stacked, np.array([1.0, 2.0, 3.0]), grad, "column_stack_grad"),
    (sinc_sum, np.array([0.0, 2e-4, 0.3, 2.0, -1.5]), grad, "dsinc"),
    (sinc_scaled, 0.7, lambda f: grad(grad(f)), "d2sinc"),
    (sinc_scaled, 0.7, lambda f: grad(grad(grad(f))), "sinc_derivative"),
    (product_of_four, 0.7, lambda f: grad(grad(f)), "prod_others_tangent"),
]


@pytest.mark.parametrize("f, x, derivative, helper", HELPED,
                         ids=[f"{h}-{k}" for k, (_, _, _, h) in enumerate(HELPED)])
def test_helpers_have_numba_versions(f, x, derivative, helper):
    """jit of a derivative whose rules call these helpers was refused (no Numba version); each
    now gives grad's values, checked against central differences of the derivative below."""
    d = derivative(f)
    jitted = jit(d)
    assert helper in source(jitted)
    want = d(x)
    np.testing.assert_allclose(jitted(x), want, rtol=1e-12, atol=1e-14)
    if derivative is grad:
        assert_close(want, numeric_grad(f, (x,), 0), rtol=1e-5, atol=1e-6)
    else:  # (the last derivative taken by central differences of the one before)
        below = {"d2sinc": grad(f), "sinc_derivative": grad(grad(f)),
                 "prod_others_tangent": grad(f)}[helper]
        assert want == pytest.approx(numeric_grad(below, (x,), 0), rel=1e-5, abs=1e-6)


def forward_cumprod(x):
    return np.sum(np.cumprod(x) * np.array([1.0, 2.0, 3.0]))


def doubled_product(x):
    return np.prod(x) * 2.0


@pytest.mark.parametrize("f, helper", [(forward_cumprod, "cumprod_jvp"),
                                       (grad(doubled_product), "prod_others_tangent")])
def test_forward_mode_helpers(f, helper):
    """The forward mode's rules of np.cumprod and of np.prod's gradient, under jit."""
    df = compile_derivative(f, "forward")
    x, t = np.array([2.0, 0.0, 3.0]), np.array([0.5, 1.0, -1.0])
    assert helper in source(df)
    value, tangent = df(x, t)
    got = jit(df)(x, t)
    np.testing.assert_allclose(got[0], value, rtol=1e-12)
    np.testing.assert_allclose(got[1], tangent, rtol=1e-12)
    assert_close(tangent, directional(f, (x,), (t,)), rtol=1e-5, atol=1e-6)


def test_xdivy_under_numba():
    """xdivy (scipy.special.xlogy's derivative in y) has a Numba version with the Python one's
    values; xlogy itself Numba cannot compile, and jit names it at the user's line."""
    if special is None:
        pytest.skip("needs SciPy")
    x, y = np.array([0.0, 1.0, -2.0, 0.0, 3.0]), np.array([2.0, 0.5, 4.0, 0.0, 0.0])
    both = numba.njit(lambda x, y: runtime_arrays.xdivy(x, y))
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(both(x, y), runtime_arrays.xdivy(x, y))
        np.testing.assert_array_equal(both(x, 2.0), runtime_arrays.xdivy(x, 2.0))
    for a, b in [(0.0, 0.0), (1.0, 0.0), (-2.0, -0.0), (3.0, 1.5)]:
        assert both(a, b) == runtime_arrays.xdivy(a, b)
    with pytest.raises(JitError, match="xlogy"):
        jit(grad(entropy_like))(np.array([0.0, 1.0, 2.0]))


def entropy_like(x):
    return np.sum(special.xlogy(x, x + 2.0))


def cumprod_along_rows(x):
    return np.sum(np.cumprod(x, axis=1) ** 2)


def test_cumprod_along_an_axis_is_refused_by_name():
    """Numba's np.cumprod takes no axis: jit names np.cumprod at the user's line."""
    with pytest.raises(JitError, match="cumprod") as e:
        jit(grad(cumprod_along_rows))(np.ones((2, 3)))
    assert "np.cumprod(x, axis=1)" in str(e.value)
