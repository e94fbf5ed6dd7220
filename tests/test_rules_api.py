"""User-defined rules: defpartials, defvjp, defjvp. The rule shows in the generated code, both
modes are checked against finite differences, a wrong rule is caught by check_grads, and every
mistake in registering one gets a message that says what to do."""
import math
import sys

import numpy as np
import pytest

import adcompile
from adcompile import (ArgumentError, GradientCheckError, NoDerivativeError, check_grads,
                       defjvp, defpartials, defvjp, grad, hessian, jvp, source)
from checks import assert_close, numeric_grad

try:
    import scipy.special as special
except ImportError:  # SciPy is optional
    special = None


# A C function with an elementwise rule, both modes at once (NumPy's differentiable ufuncs all
# have built-in rules now). (math.remainder(x, y) = x - round(x / y) * y, ties to even)
defpartials(math.remainder, "1", "-round(x / y)")


def uses_remainder(x, y):
    return math.remainder(x, y) * x


def test_elementwise_rule_in_both_modes_and_in_the_source():
    src = source(grad(uses_remainder, argnums=(0, 1)))
    assert "s0 = remainder(x, y)" in src and "-round(x / y)" in src
    assert "-round(x / y)" in source(uses_remainder, mode="forward", argnums=(0, 1))
    for x, y in [(0.7, 0.4), (1.5, 0.65), (3.2, -0.9)]:
        check_grads(uses_remainder, (x, y), order=2)


def uses_rgamma(x):
    return np.sum(special.rgamma(x) * x)


def test_a_rule_calling_another_c_function():
    pytest.importorskip("scipy.special")
    defpartials(special.rgamma, "-ans * special.digamma(x)")  # rgamma = 1 / gamma
    x = np.array([0.7, 1.5, 3.2])
    src = source(grad(uses_rgamma))
    assert "s0 = rgamma(x)" in src and "special.digamma(x)" in src
    assert "special.digamma(x)" in source(uses_rgamma, mode="forward")
    expected = special.rgamma(x) - x * special.rgamma(x) * special.digamma(x)
    assert_close(grad(uses_rgamma)(x), expected, rtol=1e-12)
    check_grads(uses_rgamma, (x,), order=1)


# A Python function whose derivative the user states (it is not inlined any more).
def softclip(x, limit=2.0):
    return limit * np.tanh(x / limit)


defvjp(softclip, "g * (1 - (ans / limit) ** 2)")
defjvp(softclip, "t * (1 - (ans / limit) ** 2)")


def uses_softclip(x):
    return np.sum(softclip(x, limit=3.0) ** 2 + softclip(x))


def test_rule_replaces_inlining_and_keeps_keyword_options():
    src = source(grad(uses_softclip))
    assert "softclip(x, limit=3.0)" in src and "softclip(x)" in src
    assert "(1 - (s0 / 3.0) ** 2)" in src and "np.tanh" not in src
    check_grads(uses_softclip, (np.array([-4.0, -0.5, 0.3, 2.5]),), order=1)


# A rule that is a Python function appears by name.
def pinv_solve(A, b):
    return np.linalg.lstsq(A, b, rcond=None)[0]


def pinv_solve_b(g, A):
    return np.linalg.pinv(A).T @ g


defvjp(pinv_solve, None, pinv_solve_b)
defjvp(pinv_solve, None, "pinv_solve(A, t)")


def least_squares(A, b):
    return np.sum(pinv_solve(A, b) ** 2)


def test_python_function_rules_appear_by_name():
    A = np.array([[2.0, 0.5], [0.1, 1.0], [0.3, -0.2]])
    b = np.array([1.0, -2.0, 0.5])
    src = source(grad(least_squares, argnums=1))
    assert "grad_b = pinv_solve_b(grad_s0, A)" in src
    g = grad(least_squares, argnums=1)(A, b)
    _, t = jvp(lambda_free_least_squares_b, (b,), (np.array([1.0, 0.0, 0.0]),))
    assert math.isclose(t, g[0], rel_tol=1e-10)


A_FIXED = np.array([[2.0, 0.5], [0.1, 1.0], [0.3, -0.2]])


def lambda_free_least_squares_b(b):
    return np.sum(pinv_solve(A_FIXED, b) ** 2)


# Second derivatives through a user rule: the rule's own code is differentiated again.
def cube_root(x):
    return np.cbrt(x)


defpartials(cube_root, "1 / (3 * ans ** 2)")


def uses_cube_root(x):
    return np.sum(cube_root(x) * x)


def test_hessian_through_a_user_rule():
    x = np.array([0.5, 2.0, 3.0])
    h = hessian(uses_cube_root)(x)
    assert_close(np.diag(h), 4 / 9 * x ** (-2 / 3), rtol=1e-10)
    check_grads(uses_cube_root, (x,), order=2)


# check_grads catches a wrong rule, in the mode that has it.
def wrong(x):
    return np.sin(x)


defvjp(wrong, "g * np.sin(x)")  # should be np.cos(x)
defjvp(wrong, "t * np.cos(x)")


def uses_wrong(x):
    return np.sum(wrong(x))


def test_check_grads_catches_a_wrong_reverse_rule():
    x = np.array([0.3, 1.1])
    check_grads(uses_wrong, (x,), order=1, modes=("fwd",))
    with pytest.raises(GradientCheckError, match="reverse mode of uses_wrong"):
        check_grads(uses_wrong, (x,), order=1)
    with pytest.raises(AssertionError, match="dot-product"):
        check_grads(uses_wrong, (x,), order=1, modes=("rev",))


def test_check_grads_catches_a_wrong_forward_rule():
    def bad(x):
        return x

    defjvp(bad, "2 * t")

    def uses_bad(x):
        return bad(x) * 3.0

    with pytest.raises(GradientCheckError, match="forward mode of uses_bad"):
        check_grads(uses_bad, (1.5,), order=1, modes=("fwd",))


def test_missing_mode_says_which_rule_to_register():
    def only_reverse(x):
        return x * 2.0

    defvjp(only_reverse, "2.0 * g")

    def uses(x):
        return only_reverse(x) + 1.0

    assert grad(uses)(1.0) == 2.0
    with pytest.raises(NoDerivativeError, match="defjvp"):
        jvp(uses, (1.0,), (1.0,))


def uses_unknown(x):  # (np.frexp was the example until it got a rule: test_numpy_found5.py)
    return math.ulp(x) * 2.0


def test_unknown_function_names_itself_and_how_to_register():
    with pytest.raises(NoDerivativeError) as info:
        grad(uses_unknown)
    msg = str(info.value)
    assert "math.ulp" in msg and "test_rules_api.py:" in msg
    assert 'adcompile.defpartials(math.ulp, "<d ans / d x>")' in msg
    assert "adcompile.defvjp" in msg and "adcompile.defjvp" in msg


def test_registering_mistakes():
    def f(x, y):
        return x * y

    with pytest.raises(ArgumentError, match="2 positional parameter"):
        defvjp(f, "g * y", "g * x", "g")
    with pytest.raises(ArgumentError, match="neither a parameter"):
        defvjp(f, "g * z")
    with pytest.raises(ArgumentError, match="not defined"):
        defvjp(f, "g * nowhere.fn(x)")
    with pytest.raises(ArgumentError, match="not a Python expression"):
        defvjp(f, "g *")
    with pytest.raises(ArgumentError, match="built-in"):
        defvjp(np.exp, "g * ans")
    with pytest.raises(ArgumentError, match="asks for"):
        defvjp(f, lambda g, w: g)

    def sigmoid(x):  # a name generated code already uses for another function
        return x
    with pytest.raises(ArgumentError, match="taken"):
        defvjp(sigmoid, "g")
    assert defvjp(sigmoid, "g", name="my_sigmoid") is sigmoid


def test_registering_clears_the_cache():
    def late(x):
        return x * x

    def uses_late(x):
        return late(x) + 0.0

    assert grad(uses_late)(3.0) == 6.0  # inlined
    defpartials(late, "5.0")  # a deliberately different rule
    assert grad(uses_late)(3.0) == 5.0


def test_public_names():
    for name in ("defvjp", "defjvp", "defpartials"):
        assert name in adcompile.__all__


def test_a_bad_rule_registers_nothing():
    def half_registered(x):
        return x

    with pytest.raises(ArgumentError):
        defvjp(half_registered, "g * undefined_name")

    def uses(x):
        return half_registered(x) * 2.0

    assert grad(uses)(1.0) == 2.0  # still inlined: no primitive was left behind
    assert "half_registered" not in adcompile.primitives.PRIMS


# Python functions as rules need no name of their own: a lambda, or a helper whose name another
# rule has, is called in generated code under a name made from the function's (`sq_vjp`).
def sq(x):
    return x * x


defvjp(sq, lambda g, x: 2.0 * g * x)
defjvp(sq, lambda t, x: 2.0 * t * x)


def cube(x):
    return x * x * x


def quad(x):
    return x ** 4


def rule(g, x):
    return 3.0 * g * x * x


def make_rule(power):
    def rule(g, x):  # the same __name__ as the module-level `rule`
        return power * g * x ** (power - 1)
    return rule


def make_tangent_rule(power):
    def rule(t, x):
        return power * t * x ** (power - 1)
    return rule


defvjp(cube, rule)
defjvp(cube, make_tangent_rule(3.0))
defvjp(quad, make_rule(4.0))
defjvp(quad, make_tangent_rule(4.0))


def uses_rule_functions(x):
    return np.sum(sq(x) * cube(x) + quad(x))


def loops_over_rule_functions(x):
    for i in range(3):
        x = sq(np.sin(x)) + cube(x) * 0.1 + quad(x) * 0.01
    return np.sum(x)


def test_lambda_and_same_named_rule_functions_get_names_of_their_own():
    src = source(grad(uses_rule_functions))
    assert "sq_vjp(" in src and "rule(" in src and "quad_vjp(" in src
    forward = source(uses_rule_functions, mode="forward")
    assert "sq_jvp(" in forward and "cube_jvp(" in forward and "quad_jvp(" in forward
    assert src == source(grad(uses_rule_functions))  # the same names every time


def test_lambda_and_same_named_rule_functions_against_finite_differences():
    x = np.array([0.3, -0.7, 1.2])
    assert_close(grad(uses_rule_functions)(x), numeric_grad(uses_rule_functions, (x,), 0))
    check_grads(uses_rule_functions, (x,), order=1)
    check_grads(loops_over_rule_functions, (x,), order=1)
    assert_close(grad(loops_over_rule_functions)(x,),
                 numeric_grad(loops_over_rule_functions, (x,), 0))


def test_second_order_through_lambda_rules():
    x = np.array([0.3, -0.7, 1.2])
    check_grads(uses_rule_functions, (x,), order=2)
    assert_close(np.diag(hessian(uses_rule_functions)(x)),
                 numeric_grad(lambda_free_diag_grad, (x,), 0))


def lambda_free_diag_grad(x):
    return np.sum(grad(uses_rule_functions)(x))


def test_rule_names_are_deterministic_across_runs():
    import subprocess
    import sys
    code = ("import sys; sys.path.insert(0, 'tests'); import test_rules_api as t; "
            "from adcompile import grad, source; print(source(grad(t.uses_rule_functions)))")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] and "sq_vjp(" in runs[0]


def dict_fn(p):
    return p["a"] * 2.0


def test_unsupported_template_syntax_is_named_in_words_at_the_call():
    line = sys._getframe().f_lineno + 2
    with pytest.raises(ArgumentError) as info:
        defvjp(dict_fn, "{'a': g * 2.0}")
    msg = str(info.value)
    assert "a dict display" in msg and "Dict(" not in msg and "def rule(g, p)" in msg
    assert info.value.filename == __file__ and info.value.line == line
    with pytest.raises(ArgumentError, match="chained comparison"):
        defvjp(dict_fn, "g * (0 < p < 1)")


def sin3(x):
    return np.sin(x) * 3.0


def sin3_too(x):
    return np.sin(x) * 3.0


def shared_rule(g, x):
    return g * np.cos(x) * 3.0


defvjp(sin3, shared_rule)
defvjp(sin3_too, shared_rule)


def calls_a_rule_function_itself(x):
    return np.sum(sin3(x) + sin3_too(x) + shared_rule(x, x))


def test_one_rule_function_for_two_functions_and_called_directly():
    x = np.array([0.2, 0.9, -1.4])
    src = source(grad(calls_a_rule_function_itself))
    assert "shared_rule(grad_s1, x)" in src and "shared_rule(grad_s0, x)" in src
    assert "np.cos(x)" in src  # the user's own call of the rule function is inlined
    assert_close(grad(calls_a_rule_function_itself)(x),
                 numeric_grad(calls_a_rule_function_itself, (x,), 0))


# --- a parameter named like the names rules give the adjoint, the tangent or the result: the
# template's g read the adjoint where the user meant the parameter (a wrong gradient) ---------
def gain(g, x):
    return g * np.cos(x)


def decay(t, k):
    return np.exp(-k * t)


def test_a_parameter_named_like_a_rules_own_names_is_refused():
    with pytest.raises(ArgumentError, match="parameter named 'g'.*adjoint `g`.*defpartials"):
        defvjp(gain, "g * np.cos(x)", "-g * g * np.sin(x)")
    defpartials(gain, "np.cos(x)", "-g * np.sin(x)")  # (a partial names no adjoint: g is g)
    assert_close(grad(gain, (0, 1))(0.4, 1.1), [np.cos(1.1), -0.4 * np.sin(1.1)])
    defvjp(decay, "-g * k * ans", "-g * t * ans")  # (t is no name of reverse-mode rules)
    t, k = 0.7, 1.3
    assert np.isclose(grad(decay, 1)(t, k), -t * np.exp(-k * t))


# --- check_grads(modes=("rev",)) of a function with a reverse rule only --------------------------
def cube_rev_only(x):
    return x * x * x


def cube_rev_wrong(x):
    return x * x * x


adcompile.defvjp(cube_rev_only, lambda g, x: 3.0 * g * x ** 2)
adcompile.defvjp(cube_rev_wrong, lambda g, x: 2.0 * g * x ** 2)


def uses_cube(x):
    return np.sum(cube_rev_only(x) * x)


def uses_wrong_cube(x):
    return np.sum(cube_rev_wrong(x) * x)


def test_check_grads_in_reverse_mode_needs_no_forward_rule():
    """It asked for a forward rule (it compiled forward mode for every check)."""
    x = np.array([0.5, -1.2, 2.0])
    check_grads(uses_cube, (x,), order=1, modes=("rev",))
    check_grads(uses_cube, (x,), order=2, modes=("rev",))
    with pytest.raises(GradientCheckError, match="reverse mode"):
        check_grads(uses_wrong_cube, (x,), order=1, modes=("rev",))
    with pytest.raises(NoDerivativeError, match="forward-mode rule"):
        check_grads(uses_cube, (x,), order=1, modes=("fwd",))


def decays(k, n=10, y0=1.0):
    y = y0
    for _ in range(n):
        y = y - 0.1 * k * y
    return y


def test_check_grads_of_a_function_with_defaults_left_out():
    """The defaults are bound as a call would (an int one as a constant, a float one checked
    too); it raised TypeError from the generated JVP (missing arguments)."""
    check_grads(decays, (0.5,), order=2)
    check_grads(decays, (0.5, 4), order=1)
    with pytest.raises(GradientCheckError):
        check_grads(decays, (0.5,), order=1, rtol=1e-12, atol=1e-14, eps=1e-2)
