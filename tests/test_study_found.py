"""Defects a tester found reading generated derivatives as a student does (T40): `adcompile show`
of a function made by grad, the `# line N:` annotations, swell's counts and refusals, export's
imports, source(f, at=...) with defaults, the command line's messages and the graph's labels."""
import inspect
import math
import re
import textwrap
import uuid

import numpy as np
import pytest

import adcompile as ad
from adcompile import ADCompileError, cli, source
from checks import assert_close, numeric_grad


def first_line(f):
    return inspect.getsourcelines(f)[1]


def comment_of(src, code, exact=False):
    """The last `# line N: ...` comment above the first line holding `code` (being, `exact`)."""
    above = None
    for text in src.splitlines():
        if text.strip().startswith("# line "):
            above = text.strip()
        elif text.strip() == code if exact else code in text:
            return above
    raise AssertionError(f"{code!r} not in\n{src}")


def write_module(tmp_path, text):
    name = f"study_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    return path


# --- 1. show of a function already made by grad ---------------------------------------------
def test_cli_show_of_a_grad_decorated_function_shows_its_own_code(tmp_path, capsys):
    path = write_module(tmp_path, """\
        from adcompile import grad


        @grad
        def dsq(x):
            return x * x * 3.0
        """)
    assert cli.main(["show", f"{path}:dsq", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("def grad_dsq(x):"), out
    assert "# line 6: return x * x * 3.0" in out
    assert "grad_grad" not in out and "model.py" not in out
    assert cli.main(["show", f"{path}:dsq", "--no-annotate", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("def grad_dsq(x):") and "# line" not in out
    # an explicit mode is the derivative of the derivative, as source(grad(f), mode=...)
    assert cli.main(["show", f"{path}:dsq", "--mode", "forward", "--color", "never"]) == 0
    assert capsys.readouterr().out.startswith("def jvp_grad_dsq(x, d_x):")


# --- 2. annotations: each statement under the line it comes from ----------------------------
def gate(x):
    if x * x > 0.1:
        y = x * 3.0
    else:
        y = x
    return y * x


def stacked(x):
    rows = []
    for i in range(3):
        rows.append(x * (i + 1))
    M = np.stack(rows)
    return np.sum(M @ x)


def newton(a):
    x = 1.0
    k = 0
    while k < 6:
        x = 0.5 * (x + a / x)
        k += 1
    return x


def multiline(w, x, b):
    z = (w * x
         + b)  # the pre-activation
    a = ad.sigmoid(
        z)
    loss = -math.log(a) \
        + 0.5 * w * w
    return loss


def test_annotation_of_a_first_contribution_is_its_own_line():
    src = source(gate, annotate=True)
    n = first_line(gate)
    assert comment_of(src, "grad_x = y") == f"# line {n + 5}: return y * x", src
    # the else branch's statements are under the else branch's line
    assert comment_of(src, "grad_x = grad_x + x", exact=True) == f"# line {n + 4}: y = x", src
    assert assert_close(ad.grad(gate)(0.5), numeric_grad(gate, (0.5,), 0)) is None


def test_annotation_of_merged_adjoints_in_loops():
    src = source(stacked, annotate=True)
    n = first_line(stacked)
    assert comment_of(src, "grad_x = matmul_grad_right") == \
        f"# line {n + 5}: return np.sum(M @ x)", src
    assert comment_of(src, "grad_rows = stack_grad") == f"# line {n + 4}: M = np.stack(rows)"


def test_annotation_after_a_nested_block_starts_a_new_comment():
    src = source(newton, annotate=True)
    n = first_line(newton)
    lines = src.splitlines()
    for i, text in enumerate(lines):
        if text.strip().startswith("while "):  # the first statement after its body
            pad = len(text) - len(text.lstrip())
            after = next(t for t in lines[i + 1:] if len(t) - len(t.lstrip()) == pad)
            assert after.strip().startswith("# line"), src
    assert f"# line {n + 6}: return x" in src


def test_annotation_quotes_the_whole_multiline_statement():
    src = source(multiline, argnums=(0, 1, 2), annotate=True)
    n = first_line(multiline)
    assert f"# line {n + 1}: z = (w * x + b)" in src, src
    assert f"# line {n + 3}: a = ad.sigmoid(z)" in src
    assert f"# line {n + 5}: loss = -math.log(a) + 0.5 * w * w" in src


# --- 4. export writes the imports its constants need ----------------------------------------
W = np.array([0.5, -1.5])


def score(x):
    return x * W[0] + W[1]


@pytest.mark.parametrize("mode", ["flat", "reverse"])
def test_export_imports_numpy_for_an_array_constant(tmp_path, mode):
    path = tmp_path / f"m_{mode}_{uuid.uuid4().hex[:6]}.py"
    ad.export(score, path, mode=mode)
    scope: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), scope)
    name = "score" if mode == "flat" else "grad_score"
    out = scope[name](2.0)
    assert out == (score(2.0) if mode == "flat" else 0.5)


# --- 5. source(f, at=...) binds defaults as grad does ----------------------------------------
def norm_p(x, p=2.0):
    return np.sum(np.abs(x) ** p)


def test_source_at_binds_defaults():
    x = np.array([0.5, -1.0, 2.0])
    src = source(norm_p, at=(x,))
    assert "UnboundLocalError" not in src and "zeros_like(x)" not in src, src
    from adcompile.primitives import NAMESPACE  # (what generated code reads: runtime's
    scope = dict(NAMESPACE)  # helpers and those of runtime_arrays, ...)
    scope["np"] = np
    exec(src, scope)
    out = scope["grad_norm_p"](x)
    out = out[0] if isinstance(out, tuple) else out
    assert_close(out, numeric_grad(norm_p, (x,), 0))


# --- 6. swell of a function n -> function, and of a family without --sweep -------------------
def test_cli_swell_sweep_of_a_function_that_is_not_a_family(tmp_path, capsys):
    pytest.importorskip("sympy")
    path = write_module(tmp_path, """\
        import math


        def single(x, y):
            return x * y + math.sin(x)


        def chain(n):
            def f(x):
                y = x
                for k in range(n):
                    y = math.sin(y) * y
                return y
            return f
        """)
    assert cli.main(["swell", f"{path}:single", "--sweep", "n=1..3", "--no-timing"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("adcompile: error: ") and err.count("\n") == 1, err
    assert "n -> function" in err and "without --sweep" in err
    assert cli.main(["swell", f"{path}:chain", "--no-timing"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--sweep" in err and "returns a function" in err, err


# --- 8. show of a method ----------------------------------------------------------------------
def test_cli_show_of_a_method_says_how(tmp_path, capsys):
    path = write_module(tmp_path, """\
        import numpy as np


        class Model:
            def __init__(self, w):
                self.w = w

            def loss(self, x):
                return np.sum(np.tanh(self.w * x))
        """)
    assert cli.main(["show", f"{path}:Model.loss"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a method" in err and "self" in err, err
    assert "source(adcompile.grad(model.loss), at=(x,))" in err and f"{path}:8" in err


# --- 3. swell counts one path of code with a float fast path ----------------------------------
def test_swell_counts_the_float_fast_path_once():
    pytest.importorskip("sympy")
    from adcompile.swell import count_ops
    src = source(newton)
    lines = src.splitlines()
    cut = lines.index("    tape = []")  # the general code, after the float path
    general = "def g(a):\n" + "\n".join(lines[cut:])
    assert ad.swell(newton, timing=False)["reverse"] == count_ops(general)
    assert count_ops(src) == count_ops(general)


# --- 7. swell of helpers through their module, lambdas, branches ----------------------------
@pytest.fixture
def helpers(tmp_path, monkeypatch):
    name = f"studylib_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(
        "import math\n\n\ndef gauss(x, mu):\n    return math.exp(-(x - mu) ** 2)\n")
    path = write_module(tmp_path, f"""\
        import math
        from math import sin
        import {name}


        def via_module(x, mu):
            return {name}.gauss(x, mu) * 2.0


        def with_lambda(x):
            f = lambda t: t * sin(t)
            return f(x) + f(2 * x)


        def branchy(x, y):
            if x > y:
                return x * y
            return x - y
        """)
    monkeypatch.syspath_prepend(str(tmp_path))
    return __import__(path.stem), path


def test_swell_of_a_helper_through_its_module_and_of_a_lambda(helpers):
    pytest.importorskip("sympy")
    module, _ = helpers
    report = ad.swell(module.via_module, timing=False)
    assert report["diff"] > 0 and report["reverse"] > 0
    report = ad.swell(module.with_lambda, timing=False)
    assert report["diff"] > 0 and report["reverse"] > 0


def test_swell_of_a_branch_names_the_line(helpers):
    pytest.importorskip("sympy")
    module, path = helpers
    with pytest.raises(ADCompileError) as info:
        ad.swell(module.branchy, timing=False)
    message = str(info.value)
    assert message.startswith(f"{path}:16: ") and "`if x > y:`" in message, message
    assert "branches on a value" in message


# --- 9. the graph's wires add up to the gradients --------------------------------------------
def loop_fn(x, n):
    acc = 0.0
    for k in range(n):
        acc = acc + math.sin(k * x)
    return acc


def branchy(x, y):
    if x > y:
        return x * y
    return x - y


def wire_grads(dot, name):
    return [float(v) for v in re.findall(rf'grad_{name} \+?= (-?[0-9.]+)</font>', dot)]


def test_graph_wire_into_elided_iterations_carries_their_sum():
    d = ad.graph(loop_fn, 0.3, 6, argnums=0)  # k = 0 and 5 drawn, "... 4 more iterations"
    assert "4 more iterations" in d.dot
    labels = wire_grads(d.dot, "x")
    hidden = sum(k * math.cos(k * 0.3) for k in range(1, 5))
    assert any(abs(v - hidden) < 0.01 for v in labels), labels
    assert abs(sum(labels) - d.gradients["x"]) < 0.02
    assert abs(d.gradients["x"] - numeric_grad(loop_fn, (0.3, 6), 0)) < 1e-6


def test_graph_comparison_wire_carries_no_gradient_and_sums_are_said():
    d = ad.graph(branchy, 1.0, 2.0)
    assert sum(wire_grads(d.dot, "x")) == d.gradients["x"] == 1.0
    d = ad.graph(lambda_free_vector, np.array([0.1, 0.2]))
    assert "gradients of np.sum(output)" in d.dot


def lambda_free_vector(x):
    return np.tanh(x) * 2.0


def power_loop(x, n):
    r = 1.0
    for i in range(n):
        r = r * x
    return r


def test_vjp_listing_binds_only_what_its_pullback_reads_before_assigning():
    """T40: `def pullback(grad_r, i=locals().get('i'), r=r)`: the loop index is assigned by the
    pullback's own loop before anything reads it; only r, read before its restore, is bound."""
    src = source(power_loop, "vjp")
    assert "locals().get" not in src and "i=" not in src.split("def pullback")[1].split(":")[0], \
        src
    for n in (0, 1, 4):
        value, pullback = ad.vjp(power_loop, 1.3, n)
        assert value == pytest.approx(1.3 ** n, rel=1e-14)
        assert_close(pullback(2.0)[0], 2.0 * n * 1.3 ** (n - 1) if n else 0.0)
        assert_close(pullback(1.0)[0], n * 1.3 ** (n - 1) if n else 0.0)  # (called again)


def sine_steps(x, n):
    acc = 0.0
    for k in range(n):
        acc = acc + math.sin(k * x)
    return acc


def test_a_backward_loop_with_nothing_to_do_is_not_written():
    """T40: with argnums naming the int loop count, the listing held `for k in reversed(range(n)):
    pass`: the forward loop already took range(n) (it raises there for a bad n, as Python
    does); its empty backward mirror is dropped."""
    src = source(sine_steps, argnums=1)
    assert "reversed(range(n))" not in src and src.count("for k in range(n):") >= 1, src
    with pytest.raises(TypeError):
        ad.grad(sine_steps, argnums=1)(0.3, 2.5)  # range(2.5), as the function itself raises
    assert_close(ad.grad(sine_steps)(0.3, 3), sum(k * math.cos(k * 0.3) for k in range(3)))
