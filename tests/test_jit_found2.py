"""adcompile.jit against Python (tester T28): an index past the end, int() of an int, math domain
and range errors, float ** int as CPython's pow, round with ndigits, float32 arguments. Skipped
without Numba."""
import importlib.util
import math

import numpy as np
import pytest

from adcompile import grad, jit
from adcompile.errors import ComplexOutputError
from adcompile.jit import JitError
from checks import numeric_grad

numba = pytest.importorskip("numba")


def smooth(a, w):
    s = 0.0
    for i in range(a.shape[0]):  # reads a[i + 1] at the last i
        s += w * (a[i + 1] - a[i]) ** 2
    return s


def fill(a, w):
    b = np.zeros(a.shape[0])
    for i in range(a.shape[0] + 2):  # writes past the end
        b[i] = w * i
    return np.sum(b * a)


@pytest.mark.parametrize("f", [smooth, fill])
def test_index_past_the_end_raises(f):
    """Python raises IndexError; Numba's arrays are not bounds-checked unless asked."""
    a = np.array([1.0, 2.0, 4.0])
    with pytest.raises(IndexError):
        f(a, 0.5)
    for compiled in (jit(f), jit(grad(f, argnums=(0, 1)))):
        with pytest.raises(IndexError, match="out of bounds"):
            compiled(a, 0.5)


def harmonic(x, n):
    s = 0.0
    for i in range(int(n)):
        s += x / (i + 1)
    return s


def test_int_of_an_int_argument():
    """int(n) of an int or bool argument: the checked conversion had no int case."""
    for n in (3, True, np.int64(4)):
        assert jit(harmonic)(1.5, n) == harmonic(1.5, n)
        assert jit(grad(harmonic))(1.5, n) == grad(harmonic)(1.5, n)
    assert jit(harmonic)(1.5, 2.7) == harmonic(1.5, 2.7)


def f_log(x):
    return math.log(x) * x


def f_log_plain(x):
    return math.log(x)


def f_sqrt(x):
    return math.sqrt(x - 1.0)


def f_exp(x):
    return math.exp(x)


def f_pow(x, p):
    return (x - 2.0) ** p


def _raises_as_python(f, *args):
    """jit(f) and jit(grad(f)) raise the exception Python raises (a subclass of it)."""
    for compiled, plain in ((jit(f), f), (jit(grad(f)), grad(f))):
        with pytest.raises(Exception) as want:
            plain(*args)
        with pytest.raises(want.type) as got:
            compiled(*args)
        if want.type in (ValueError, OverflowError, ZeroDivisionError):
            assert str(want.value) in str(got.value)
            assert "line" in str(got.value) or ".py:" in str(got.value)


@pytest.mark.parametrize("f, x", [(f_log, -1.0), (f_log, 0.0), (f_log_plain, -1.0),
                                  (f_sqrt, 0.5), (f_exp, 800.0)])
def test_math_domain_and_range_errors(f, x):
    assert jit(f)(3.0) == f(3.0)  # valid inputs agree
    assert jit(grad(f))(3.0) == grad(f)(3.0)
    _raises_as_python(f, x)


def test_negative_float_to_a_fractional_power_is_refused():
    """Python's number is complex (grad refuses it); jit computes floats only: refused."""
    assert isinstance(f_pow(1.0, 0.5), complex)
    with pytest.raises(ComplexOutputError):
        grad(f_pow)(1.0, 0.5)
    for compiled in (jit(f_pow), jit(grad(f_pow))):
        with pytest.raises(JitError, match="complex"):
            compiled(1.0, 0.5)
    assert jit(f_pow)(3.0, 0.5) == f_pow(3.0, 0.5)
    assert jit(f_pow)(1.0, 3.0) == f_pow(1.0, 3.0)  # a negative base to an integral power


def zero_power(x, p):
    return (x - 1.0) ** p + x


def big_power(x, p):
    return x ** p


def test_float_pow_errors_as_python():
    _raises_as_python(zero_power, 1.0, -1.0)  # ZeroDivisionError
    _raises_as_python(big_power, 10.0, 400.0)  # OverflowError
    assert jit(zero_power)(1.0, 2.0) == zero_power(1.0, 2.0)
    assert math.isinf(jit(big_power)(math.inf, 2.0))  # no error from an infinite input
    assert math.isnan(jit(big_power)(math.nan, 2.0))


UNARY = ["exp", "expm1", "cosh", "sinh", "log", "log2", "log10", "log1p", "sqrt", "acos",
         "asin", "acosh", "atanh", "gamma", "lgamma", "sin", "tan", "erf", "atan", "tanh"]
POINTS = [-1e308, -800.0, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 800.0, 1e308, math.inf,
          -math.inf, math.nan]


def _calling(folder, name, params):
    """`call(params)`, returning math.<name>(params), from a file (adcompile reads its source)."""
    path = folder / f"calls_{name}.py"
    path.write_text(f"import math\n\n\ndef call({params}):\n    return math.{name}({params})\n")
    spec = importlib.util.spec_from_file_location(f"calls_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.call


def _outcome(f, *args):
    try:
        r = f(*args)
    except Exception as e:  # (the type Python raises; jit's is a subclass)
        return next(t for t in (ValueError, OverflowError, ZeroDivisionError, JitError)
                    if isinstance(e, t))
    return "nan" if r != r else r


@pytest.mark.parametrize("name", UNARY)
def test_math_function_errors_as_cpython(name, tmp_path):
    """Each math function raises where CPython's does, and returns its number elsewhere."""
    fn = getattr(math, name)
    compiled = jit(_calling(tmp_path, name, "x"))
    for x in POINTS:
        got, want = _outcome(compiled, x), _outcome(fn, x)
        if name in ("gamma", "lgamma") and type(want) is float:  # (Numba's, not CPython's own)
            assert got == pytest.approx(want, rel=1e-14), (name, x)
        else:
            assert got == want, (name, x)
    if name == "exp":  # (ldexp: an int exponent)
        ldexp = jit(_calling(tmp_path, "ldexp", "x, i"))
        for x in POINTS:
            for i in (-2000, -1, 0, 3, 2000):
                assert _outcome(ldexp, x, i) == _outcome(math.ldexp, x, i), (x, i)


@pytest.mark.parametrize("name", ["atan2", "hypot", "copysign", "log"])
def test_two_argument_math_errors_as_cpython(name, tmp_path):
    fn = getattr(math, name)
    compiled = jit(_calling(tmp_path, name, "x, y"))
    for x in POINTS:
        for y in (-3.0, -0.5, 0.0, 0.5, 1.0, 2.0, 1000.0, math.inf, math.nan):
            assert _outcome(compiled, x, y) == _outcome(fn, x, y), (name, x, y)


def test_float_pow_operator_as_cpython():
    compiled = jit(big_power)
    for x in POINTS:
        for y in (-3.0, -2.0, -0.5, 0.0, 0.5, 1.0, 3.0, 1000.0, -math.inf, math.inf, math.nan):
            want = _outcome(big_power, x, y)
            want = JitError if isinstance(want, complex) else want
            assert _outcome(compiled, x, y) == want, (x, y)


def test_fastmath_keeps_the_errors():
    """fastmath=True computes `**` as Numba does (faster, other last bits), raising the same."""
    fast = jit(zero_power, fastmath=True)
    assert fast(1.5, 3.0) == pytest.approx(zero_power(1.5, 3.0), rel=1e-15)
    with pytest.raises(ZeroDivisionError):
        fast(1.0, -1.0)
    with pytest.raises(ValueError, match="math domain error"):
        jit(f_log, fastmath=True)(-1.0)


def cube(x):
    return x ** 3


def square(x):
    return x ** 2 + x ** -1 + x ** 0.5


def compound(rate, years):
    bal = 1000.0
    for y in range(years):
        bal = bal * (1 + rate / 12) ** 12
    return bal


def power_k(x, k):
    return x ** k + 2 ** k


def test_float_to_an_integer_power_is_cpythons_pow():
    """CPython computes float ** int as pow(x, float(n)); Numba multiplied repeatedly, and LLVM
    turns pow(x, 2.0) into x * x: the last bits differed."""
    xs = np.random.default_rng(3).uniform(0.1, 5.0, 400)
    for f in (cube, square):
        cf = jit(f)
        assert all(cf(x) == f(x) for x in xs), f.__name__
    assert jit(cube)(0.6024338098404867) == cube(0.6024338098404867)
    assert jit(compound)(0.05, 40) == compound(0.05, 40)
    assert jit(grad(compound))(0.05, 40) == grad(compound)(0.05, 40)
    assert all(jit(power_k)(x, k) == power_k(x, k) for x in xs[:50] for k in range(-4, 9))
    assert type(jit(power_k)(2.0, 3)) is float


def price(x):
    return x * round(x, 2)


def test_round_with_ndigits_is_refused():
    assert price(2.675) == 2.675 * 2.67
    for make in (lambda: jit(price), lambda: jit(grad(price))):
        with pytest.raises(JitError, match="round") as e:
            make()(2.675)
        assert "x * round(x, 2)" in str(e.value)


def energy(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i]
    return s


def poly(x):
    return 3 * x * x - 2 * x + 1


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_float32_arguments_are_refused(dtype):
    """NumPy computes float32 in float32; Numba's code computed them in float64."""
    a = np.array([-1.3442146, -0.45761576, -1.9012227], dtype=dtype)
    for compiled in (jit(energy), jit(grad(energy))):
        with pytest.raises(JitError, match="`a`.*float64"):
            compiled(a)
    with pytest.raises(JitError, match="`x`"):
        jit(poly)(dtype(3.1))
    assert jit(energy)(a.astype(np.float64)) == energy(a.astype(np.float64))
    assert jit(grad(poly))(3.1) == grad(poly)(3.1)


def test_math_errors_keep_the_gradient_right_elsewhere():
    for f in (f_log, f_sqrt, f_exp):
        assert jit(grad(f))(2.5) == pytest.approx(numeric_grad(f, (2.5,), 0), rel=1e-6)


def test_math_pow_under_jit_is_c_pow_of_floats_with_its_errors():
    # math.pow, its own primitive since T34, went to Numba's pow: NaN where Python raises
    def f(x, y):
        return math.pow(x, y) * 2.0 + math.pow(x, 3)

    for args in [(1.7, 2.5), (0.6024338098404867, 3.0)]:
        assert jit(f)(*args) == f(*args)
        assert jit(grad(f, argnums=(0, 1)))(*args) == grad(f, argnums=(0, 1))(*args)
    with pytest.raises(JitError, match="a negative number to a fractional power"):
        jit(f)(-1.0, 0.5)
    with pytest.raises(ZeroDivisionError):
        jit(f)(0.0, -1.0)
