"""Defects found by a tester composing transforms (a transform inside a differentiated function,
vjp's pullback fed what JAX refuses): each a regression test before its fix."""
import numpy as np
import pytest

from adcompile import grad, jvp, vjp
from adcompile.errors import ArgumentError


def sin_times(x):
    return np.sin(x) * x


# --- (1) a complex cotangent of a real output was silently reduced to its real part by vjp's
# pullback (JAX refuses it); a complex tangent of a real primal gave jvp a complexified result
# that rules taking np.real or np.conj of the tangent would get wrong (JAX refuses it too) -------
@pytest.mark.parametrize("x, cotangent", [(1.0, 1.0 + 2j),
                                          (np.array([1.0, 2.0]), np.array([1 + 1j, 2j]))])
def test_a_complex_cotangent_of_a_real_output_is_refused(x, cotangent):
    out, pullback = vjp(sin_times, x)
    with pytest.raises(ArgumentError, match=r"cotangent.*real.*pullback\(a\) \+ 1j \* "
                                            r"pullback\(b\)") as e:
        pullback(cotangent)
    assert e.value.filename == __file__
    assert pullback(np.real(cotangent))[0] == pytest.approx(
        np.real(cotangent) * (np.cos(x) * x + np.sin(x)))


def test_a_complex_tangent_of_a_real_primal_is_refused():
    with pytest.raises(ArgumentError, match=r"tangent 0.*real"):
        jvp(sin_times, (1.0,), (1.0 + 1j,))
    with pytest.raises(ArgumentError, match=r"tangent 0.*real"):
        jvp(sin_times, (np.array([1.0, 2.0]),), (np.array([1.0, 1j]),))


def test_complex_values_where_the_primal_or_output_is_complex_still_pass():
    z = np.array([1.0 + 2j, 0.5j])
    out, d = jvp(np.sin, (z,), (np.ones(2, complex),))
    assert d == pytest.approx(np.cos(z))

    def square(z):
        return z * z
    out, pullback = vjp(square, z)
    assert pullback(np.ones(2, complex))[0] == pytest.approx(2 * z)
    assert pullback(np.ones(2))[0] == pytest.approx(2 * z)  # a real cotangent of a complex one
