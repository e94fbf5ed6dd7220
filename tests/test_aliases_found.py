"""One list, array or object held under two names or at two places of a container, changed in
place through one of them: Python changes it for every holder. Flat code makes new values, so
the lowering follows the change where it knows the holders or refuses with a located error;
never a wrong value. Each test fails before its fix."""
import inspect

import numpy as np
import pytest

from adcompile import value_and_grad
from adcompile.errors import UnsupportedSyntaxError


def fd(f, x, h=1e-6):
    """The central difference of f at x (a number or a vector)."""
    if np.ndim(x) == 0:
        return (f(x + h) - f(x - h)) / (2 * h)
    out = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        out.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return out


def same_as_python(f, x):
    v, g = value_and_grad(f)(x)
    assert v == pytest.approx(f(x))
    assert np.allclose(g, fd(f, x), atol=1e-5)


def refused_at(f, x, line_text):
    """f is refused with UnsupportedSyntaxError at its line holding `line_text`."""
    lines, start = inspect.getsourcelines(f)
    line = start + next(i for i, t in enumerate(lines) if line_text in t)
    with pytest.raises(UnsupportedSyntaxError) as e:
        value_and_grad(f)(x)
    assert f":{line}" in str(e.value), str(e.value)
    return str(e.value)


# --- a loop variable left over from an earlier `for b in bodies:` loop was taken as a holder
# of bodies' items in the next iteration of an outer loop (it is bound again before it is read);
# the refusal's hint also said `bodies = a new Body(...)` for a list -----------------------------
class Body:
    def __init__(self, x, v):
        self.x = x
        self.v = v


def step_all(g):
    bodies = [Body(0.0, g), Body(1.0, 2 * g)]
    for _ in range(3):
        for i in range(2):
            bodies[i].v += g
        for b in bodies:
            b.x += b.v * 0.1
    return bodies[0].x + bodies[1].x


def kept_item(g):
    bodies = [Body(0.0, g), Body(1.0, 2 * g)]
    b = bodies[0]
    bodies[0].v += g  # b, read below, holds it too
    return b.v + bodies[1].v


def test_a_stale_loop_variable_is_no_holder():
    same_as_python(step_all, 1.5)
    message = refused_at(kept_item, 1.5, "bodies[0].v += g")
    assert "list(bodies)" in message and "Body(" not in message
