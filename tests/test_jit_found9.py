"""jit gaps a tester found on user code (T57, stop 42), each failing before its fix: an array
argument changed in place (a state stepped, weights descended), checked at run time against the
other arrays read later, as grad checks it; a division by zero raising a JitError that says
where to look."""
import numpy as np
import pytest

from adcompile import JitError, grad, jit
from adcompile.errors import UnsupportedSyntaxError
from checks import numeric_grad

pytest.importorskip("numba")


# --- an array argument changed in place in a loop, beside numbers: refused under jit ("has no
# Numba version") where grad takes it; beside another array argument: checked to overlap ------
def stepped(s, dt):
    for _ in range(3):
        s[0] += dt * s[1]
        s[1] -= dt * s[0]
    return s[0] * s[1]


def descended(w, lr):
    for _ in range(4):
        w -= lr * 2.0 * w
        w[0] *= 0.5
    return np.sum(w ** 2)


def coupled(s, w):
    for _ in range(3):
        s[0] += w[0] * s[1]
    return s[0]


@pytest.mark.parametrize("f, args", [(stepped, (np.array([1.0, 2.0]), 0.1)),
                                     (descended, (np.array([1.0, -2.0, 0.5]), 0.05)),
                                     (coupled, (np.array([1.0, 2.0]), np.array([0.1])))])
def test_an_argument_changed_in_place(f, args):
    def fresh():
        return [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    want = grad(f, argnums=(0, 1))(*fresh())
    got = jit(grad(f, argnums=(0, 1)))(*fresh())
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(want[1], numeric_grad(lambda *a: f(*[
        v.copy() if isinstance(v, np.ndarray) else v for v in a]), tuple(fresh()), 1), rtol=1e-6,
        atol=1e-9)
    assert jit(f)(*fresh()) == f(*fresh())


def test_an_argument_changed_in_place_that_another_one_views_is_refused_at_its_line():
    a = np.array([1.0, 2.0])
    for compiled in (jit(coupled), jit(grad(coupled))):
        for other in (a, a[1:]):
            with pytest.raises(UnsupportedSyntaxError,
                               match=r"test_jit_found9.py:\d+: s is changed in place, and w may "
                                     r"hold the same array"):
                compiled(a, other)
    line = coupled.__code__.co_firstlineno + 2
    with pytest.raises(UnsupportedSyntaxError, match=rf"test_jit_found9.py:{line}:"):
        jit(coupled)(a, a)


# --- a division by zero under jit was Numba's bare ZeroDivisionError, no line named ----------
def divided(x, y):
    s = 0.0
    for i in range(3):
        s += x / (y - i)
    return s


def test_a_division_by_zero_under_jit_says_where_to_look():
    with pytest.raises(ZeroDivisionError):
        divided(1.0, 2.0)
    for compiled in (jit(divided), jit(grad(divided))):
        with pytest.raises(JitError, match=r"test_jit_found9.py: .*division by zero .*run it "
                                           r"without jit") as caught:
            compiled(1.0, 2.0)
        assert isinstance(caught.value, ZeroDivisionError)


# --- a JitError in a helper from another module named the file by its base name only (the
# generated line's comment), and said "Or run ..." with no first option ---------------------
def uses_helper_elsewhere(x):
    import jit_other_module
    s = 0.0
    if jit_other_module.close_enough(x, 1.0):
        s += x
    return s


def test_a_jit_error_in_another_modules_helper_names_its_path():
    import os

    import jit_other_module
    with pytest.raises(JitError) as caught:
        jit(uses_helper_elsewhere)(1.0)
    assert caught.value.filename == jit_other_module.__file__
    assert os.path.isabs(caught.value.filename)
    assert "isclose" in str(caught.value) and " Or run" not in str(caught.value)
