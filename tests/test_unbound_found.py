"""A name first bound inside a loop whose count is known only at run time, read after it: where
the loop ran zero times (or never bound it) Python raises UnboundLocalError, and so does every
derivative of it, instead of reading a placeholder 0.0 (runtime.UNBOUND, runtime.check_unbound)."""
import re

import numpy as np
import pytest

from adcompile import grad, hessian, jvp, source, value_and_grad
from checks import assert_close, numeric_grad


def _pythons_words():
    """What the running Python says reading `last` unbound (3.10 words it otherwise)."""
    def read():
        if False:
            last = 0.0
        return last  # noqa: F821
    try:
        read()
    except UnboundLocalError as e:
        return str(e)


MESSAGE = re.escape(_pythons_words())


def last_of_loop(x, n):
    for i in range(n):
        last = x * i
    return last * x


def last_of_while(x, n):
    k = 0
    while k < n:
        last = x * k
        k = k + 1
    return last * x


def bound_on_one_branch(x, n):
    for i in range(n):
        if i > 1:
            last = x * i
    return last * x


def nested(x, n, m):
    for i in range(n):
        for j in range(m):
            last = x * (i + j)
    return last * x


def used_in_a_later_loop(x, n, m):
    for i in range(n):
        last = x * i
    total = x
    for j in range(m):
        total = total + last * x
    return total


def read_on_one_path_only(x, n):
    for i in range(n):
        last = x * i
    if n > 0:
        return last * x
    return x


def read_before_bound_in_the_loop(x, n):
    y = x
    for i in range(n):
        y = last * x  # noqa: F821 (Python raises here at the first step)
        last = x * i  # noqa: F841
    return y


def rebound_in_a_later_loop(x, n, m):
    for i in range(n):
        last = x * i
    for j in range(m):
        last = last + x
    return last * x


def counter_after(x, n):
    for i in range(n):
        x = x * 2.0
    return x * i


def item_after(x, xs):
    for v in xs:
        x = x * 2.0
    return x * v


def bound_before(x, n):
    last = 0.0
    for i in range(n):
        last = x * i
    return last * x


def constant_count(x):
    for i in range(3):
        last = x * i
    return last * x


def arrays(x, n):
    for i in range(n):
        last = x * i
    return np.sum(last * x)


CASES = [  # (f, arguments where the loop runs and binds, where Python raises)
    (last_of_loop, (2.0, 3), (2.0, 0)),
    (last_of_while, (2.0, 3), (2.0, 0)),
    (bound_on_one_branch, (2.0, 4), (2.0, 2)),
    (nested, (2.0, 2, 3), (2.0, 2, 0)),
    (used_in_a_later_loop, (2.0, 3, 2), (2.0, 0, 2)),
    (read_before_bound_in_the_loop, (2.0, 0), (2.0, 2)),
    (rebound_in_a_later_loop, (2.0, 2, 3), (2.0, 0, 3)),
    (counter_after, (2.0, 3), (2.0, 0)),  # (the loop's own target: an int)
    (item_after, (2.0, np.array([1.0, 3.0])), (2.0, np.array([]))),
]
IDS = [f.__name__ for f, _, _ in CASES]


def raises_as_python(call, f, args):
    with pytest.raises(UnboundLocalError) as python:
        f(*args)
    with pytest.raises(UnboundLocalError) as ours:
        call(*args)
    assert str(ours.value) == str(python.value)


@pytest.mark.parametrize("f, good, bad", CASES, ids=IDS)
def test_grad_raises_where_python_does_and_is_right_elsewhere(f, good, bad):
    assert_close(grad(f)(*good), numeric_grad(f, good, 0))
    raises_as_python(grad(f), f, bad)
    raises_as_python(value_and_grad(f), f, bad)


@pytest.mark.parametrize("f, good, bad", CASES, ids=IDS)
def test_forward_mode_raises_where_python_does(f, good, bad):
    def along_x(*args):
        return jvp(f, args, (1.0,) + tuple(np.zeros_like(a) if np.ndim(a) else 0
                                           for a in args[1:]))
    value, tangent = along_x(*good)
    assert value == pytest.approx(f(*good))
    assert tangent == pytest.approx(numeric_grad(f, good, 0))
    raises_as_python(along_x, f, bad)


def test_the_lecture_example_and_its_message():
    assert grad(last_of_loop)(2.0, 3) == pytest.approx(8.0)
    with pytest.raises(UnboundLocalError, match=MESSAGE):
        grad(last_of_loop)(2.0, 0)
    with pytest.raises(UnboundLocalError, match=MESSAGE):
        grad(last_of_loop)(np.array([1.0, 2.0]), 0)  # (not only on the floats' fast path)


def test_arrays_raise_too():
    x = np.array([1.0, 2.0])
    assert_close(grad(arrays)(x, 3), numeric_grad(arrays, (x, 3), 0))
    raises_as_python(grad(arrays), arrays, (x, 0))


def test_a_read_only_where_the_loop_ran_is_fine():
    assert grad(read_on_one_path_only)(2.0, 0) == 1.0
    assert grad(read_on_one_path_only)(2.0, 3) == pytest.approx(8.0)


def test_no_check_where_the_name_is_bound_before_or_the_loop_surely_binds_it():
    for f in (bound_before, constant_count):
        assert "check_unbound" not in source(grad(f)) and "UNBOUND" not in source(grad(f))
    assert grad(bound_before)(2.0, 0) == 0.0
    assert grad(constant_count)(2.0) == pytest.approx(8.0)


def test_the_check_stays_out_of_the_loop():
    text = source(grad(last_of_loop))
    for line in text.splitlines():
        if "check_unbound" in line:
            assert line.startswith("    check_unbound") or line.startswith("        check_un")
    assert text.count("check_unbound") == 2  # (once per version: floats, and any)
    assert "last = UNBOUND" in text


def test_second_order_raises_too():
    assert hessian(last_of_loop)(2.0, 3) == pytest.approx(4.0)
    with pytest.raises(UnboundLocalError, match=MESSAGE):
        hessian(last_of_loop)(2.0, 0)
    with pytest.raises(UnboundLocalError, match=MESSAGE):
        grad(grad(last_of_loop))(2.0, 0)


def test_exported_code_raises_without_adcompile(tmp_path):
    from adcompile.export import export_source
    text = export_source(last_of_loop)
    assert "import adcompile" not in text and "from adcompile" not in text
    space: dict = {}
    exec(compile(text, str(tmp_path / "m.py"), "exec"), space)
    assert space["grad_last_of_loop"](2.0, 3) == pytest.approx(8.0)
    with pytest.raises(UnboundLocalError, match=MESSAGE):
        space["grad_last_of_loop"](2.0, 0)


@pytest.mark.parametrize("f, good, bad", CASES[:5] + CASES[-2:], ids=IDS[:5] + IDS[-2:])
def test_jit_raises_too(f, good, bad):
    pytest.importorskip("numba")
    from adcompile import jit
    assert_close(jit(grad(f))(*good), grad(f)(*good))
    with pytest.raises(UnboundLocalError) as python:
        f(*bad)
    with pytest.raises(UnboundLocalError) as ours:
        jit(grad(f))(*bad)
    assert str(ours.value) == str(python.value)
    assert jit(f)(*good) == pytest.approx(f(*good))
    with pytest.raises(UnboundLocalError) as ours:
        jit(f)(*bad)
    assert str(ours.value) == str(python.value)


def test_jit_refuses_an_array_first_bound_in_a_loop_at_its_line():
    pytest.importorskip("numba")
    from adcompile import jit
    from adcompile.jit import JitError
    with pytest.raises(JitError, match="`last` is first bound inside the loop `for i in "
                       r"range\(n\):`") as error:
        jit(grad(arrays))(np.array([1.0, 2.0]), 3)
    assert error.value.line == arrays.__code__.co_firstlineno + 1
