"""Exported derivatives run in a fresh interpreter where adcompile cannot be imported."""
import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from adcompile import export, grad, jvp, sigmoid, value_and_grad
from adcompile.export import ExportError, export_source

try:
    import scipy.linalg
    from scipy import special
except ImportError:  # SciPy is optional
    scipy = special = None

W = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
BIG = np.linspace(-1.0, 1.0, 20_001).astype(np.float32)
SPECIAL = np.array([1.0, np.inf, -np.inf])


def model(w, x):
    h = np.tanh(W @ x)
    return np.sum(sigmoid(h * w)) + np.mean(np.log1p(np.exp(-np.abs(x))))


def uses_big(x):
    return np.sum(BIG * x)


def uses_special(x):
    return np.sum(np.minimum(SPECIAL, x * 2.0))


def scalar(a, b):
    return sigmoid(a * b) + np.sin(a)


BLOCKER = textwrap.dedent("""\
    import json, sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name == "adcompile" or name.startswith("adcompile."):
                raise ImportError("adcompile must not be imported by an exported module")
    sys.meta_path.insert(0, Block())
    sys.path.insert(0, ".")
    import numpy as np
    """)


def run_isolated(tmp_path, script):
    """Run `script` with python -I in tmp_path, adcompile blocked; returns its JSON output."""
    (tmp_path / "driver.py").write_text(BLOCKER + textwrap.dedent(script))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run([sys.executable, "-I", "driver.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_mode_runs_standalone(tmp_path):
    w, x = np.array([0.3, -0.2]), np.array([1.0, -2.0, 0.5])
    for mode, argnums in [("reverse", (0, 1)), ("forward", (0, 1)), ("flat", 0),
                          ("value_and_grad", 1), ("vjp", (0, 1))]:
        export(model, tmp_path / f"m_{mode}.py", mode=mode, argnums=argnums)
    out = run_isolated(tmp_path, """
        import m_reverse, m_forward, m_flat, m_value_and_grad, m_vjp
        w, x = np.array([0.3, -0.2]), np.array([1.0, -2.0, 0.5])
        dw, dx = m_reverse.grad_model(w, x)
        y, dy = m_forward.jvp_model(w, x, np.ones(2), np.zeros(3))
        v, g = m_value_and_grad.value_and_grad_model(w, x)
        v2, pullback = m_vjp.vjp_model(w, x)
        print(json.dumps({"dw": dw.tolist(), "dx": dx.tolist(), "dy": float(dy),
                          "flat": float(m_flat.model(w, x)), "v": float(v), "g": g.tolist(),
                          "pull": pullback(2.0)[0].tolist(),
                          "modules": sorted(m for m in sys.modules
                                            if m.split(".")[0] == "adcompile")}))
        """)
    dw, dx = grad(model, argnums=(0, 1))(w, x)
    np.testing.assert_allclose(out["dw"], dw, rtol=1e-12)
    np.testing.assert_allclose(out["dx"], dx, rtol=1e-12)
    np.testing.assert_allclose(out["dy"], jvp(model, (w, x), (np.ones(2), np.zeros(3)))[1])
    np.testing.assert_allclose(out["flat"], model(w, x))
    v, g = value_and_grad(model, argnums=1)(w, x)
    np.testing.assert_allclose([out["v"]] + out["g"], [v] + list(g))
    np.testing.assert_allclose(out["pull"], 2 * dw)
    assert out["modules"] == []


def test_constants_are_written_exactly(tmp_path):
    export(uses_big, tmp_path / "big.py")
    export(uses_special, tmp_path / "special.py")
    text = (tmp_path / "big.py").read_text()
    assert "b64decode" in text and len(text) < 200_000
    out = run_isolated(tmp_path, """
        import big, special
        print(json.dumps({"big": big.BIG.tolist(), "dtype": str(big.BIG.dtype),
                          "g": float(big.grad_uses_big(2.0)),
                          "special": [str(v) for v in special.SPECIAL],
                          "gs": special.grad_uses_special(np.array([0.0, 1.0, 2.0])).tolist()}))
        """)
    assert out["dtype"] == "float32" and out["big"] == BIG.tolist()
    assert out["g"] == pytest.approx(float(np.sum(BIG)), rel=1e-5)
    assert out["special"] == ["1.0", "inf", "-inf"]
    np.testing.assert_allclose(out["gs"], grad(uses_special)(np.array([0.0, 1.0, 2.0])))


def test_scalar_errors_raise_without_adcompile(tmp_path):
    export(model, tmp_path / "m.py", argnums=0)
    out = run_isolated(tmp_path, """
        import m
        try:
            m.check_scalar(np.ones(3))
        except ValueError as e:
            print(json.dumps({"error": type(e).__name__}))
        """)
    assert out == {"error": "ArgumentError"}


def test_the_module_keeps_its_own_name(tmp_path):
    """check_scalar reads `type(x).__name__`: the module's own __name__ ('adcompile.runtime') was
    copied into every exported module as a constant, renaming it (fixunbound noticed)."""
    path = export(model, tmp_path / "m.py", argnums=0)
    assert "__name__ =" not in open(path).read()
    out = run_isolated(tmp_path, """
        import m
        print(json.dumps({"name": m.__name__}))
        """)
    assert out == {"name": "m"}


def test_the_module_reads_well():
    text = export_source(scalar, argnums=(0, 1), command="adcompile export x.py:scalar")
    assert text.startswith('"""grad_scalar: the reverse code of scalar')
    assert "    adcompile export x.py:scalar\n" in text
    assert "grad_scalar(a, b) returns the gradient with respect to (a, b), as a tuple." in text
    assert "def sigmoid(x):" in text and "# line " in text
    assert not re.search(r"^\s*(import|from) adcompile", text, re.M)
    plain = export_source(scalar, annotate=False)
    assert "# line " not in plain
    namespace = {}
    exec(text, namespace)
    assert namespace["grad_scalar"](0.5, -1.0) == grad(scalar, argnums=(0, 1))(0.5, -1.0)


class Opaque:
    pass


THING = Opaque()


def uses_object(x):
    return x * THING


def test_unexportable_constant():
    with pytest.raises(ExportError, match="cannot write the constant THING"):
        export_source(uses_object, mode="flat")


def halve(x, n):
    for _ in range(n):
        x = x * 0.5 + 1.0
    return x


def test_loops_export_with_their_tape(tmp_path):
    export(halve, tmp_path / "loop.py")
    out = run_isolated(tmp_path, """
        import loop
        print(json.dumps({"g": loop.grad_halve(1.0, 3)}))
        """)
    assert out["g"] == grad(halve)(1.0, 3) == 0.125


def gammaln_sum(x):
    return np.sum(special.gammaln(x))


def expm_sum(a):
    return np.sum(scipy.linalg.expm(a))


def test_an_export_that_imports_scipy_says_it_needs_scipy(tmp_path):
    # (it said "needs only NumPy" while importing scipy.special; a SciPy helper was refused)
    pytest.importorskip("scipy")
    text = export_source(gammaln_sum)
    assert "import scipy.special as special" in text
    assert "only NumPy" not in text and "It needs NumPy and SciPy" in text
    text = export_source(expm_sum)
    assert "It needs NumPy and SciPy" in text
    export(expm_sum, tmp_path / "grad_expm.py")
    out = run_isolated(tmp_path, """
        from grad_expm import grad_expm_sum
        a = np.array([[0.1, 0.2], [-0.3, 0.4]])
        print(json.dumps(grad_expm_sum(a).tolist()))
        """)
    np.testing.assert_allclose(out, grad(expm_sum)(np.array([[0.1, 0.2], [-0.3, 0.4]])))


def scaled_square(x, a=2.0):
    return a * x * x


def scaled_with_a_default(x, a=2.0, name="scale", activation=np.tanh, n=3):
    return a * x * x + 0.0 * n


def test_exported_and_shown_code_keeps_the_defaults():
    """The generated signature dropped the defaults (`def grad_scaled(x, a):`), so the exported
    module could not be called as the user's function is. A default Python cannot write
    (a function) ends the run of written ones; the compiled derivative still holds it."""
    from adcompile import source
    for text in (export_source(scaled_with_a_default), source(grad(scaled_with_a_default))):
        assert "def grad_scaled_with_a_default(x, a, name, activation, n=3):" in text
    text = export_source(scaled_square, mode="grad")
    assert "def grad_scaled_square(x, a=2.0):" in text
    namespace: dict = {}
    exec(compile(text, "<export>", "exec"), namespace)
    assert namespace["grad_scaled_square"](3.0) == 12.0
    assert "def vjp_scaled_square(x, a=2.0):" in export_source(scaled_square, mode="vjp")
    assert grad(scaled_with_a_default)(3.0) == 12.0
    assert grad(scaled_with_a_default)(3.0, 1.0) == 6.0


def cubed(x):
    return x ** 3


def cubed_tangent(t, x):
    return 3.0 * t * x * x


def cubed_times_x(x):
    return cubed(x) * x


def quartic(x):
    return x ** 4


def quartic_times_x(x):
    return quartic(x) * x


def test_a_rule_under_another_name_exports_and_a_lambda_says_what_to_write(tmp_path):
    """A jvp rule registered as a def of another name was refused ("the helper cubed_jvp is
    bound to cubed_tangent; cannot copy it"); it is copied under its own name and bound to the
    helper's. A lambda's source cannot be copied alone: the error names it and its line (T21)."""
    from adcompile import defjvp
    defjvp(cubed, cubed_tangent)
    export(cubed_times_x, tmp_path / "cubed.py", mode="forward")
    out = run_isolated(tmp_path, """
        import cubed
        print(json.dumps({"d": float(cubed.jvp_cubed_times_x(2.0, 1.0)[1])}))
        """)
    assert out["d"] == 32.0 == jvp(cubed_times_x, (2.0,), (1.0,))[1]
    defjvp(quartic, lambda t, x: 4.0 * t * x ** 3)
    with pytest.raises(ExportError, match=r"quartic_jvp is a lambda \(at .*test_export.py:\d+\)"
                       r".*register a def"):
        export_source(quartic_times_x, mode="forward")
