"""Exported modules found wrong or failing (fixexport): a helper's globals that are not plain
values, relative imports copied from the runtime, np.random.seed and generators, and the
generated code around random draws and loops that export shows."""
import ast
import re
import sys

import numpy as np
import pytest

from adcompile import defvjp, grad, jvp, source
from adcompile.export import ExportError, export, export_source

from test_export import run_isolated

# --- 1. a helper's module-level globals that are not plain values -----------------------------
SCALE = np.array([1.0, 2.0, 3.0])
TABLE = {"a": np.array([1.0, -1.0, 0.5]), "n": 2}
act = np.tanh
NORMS = (np.float32(2.0), [np.array([1.5, 0.5, 1.0])])


def squashed(x):
    return np.sum(act(x) * SCALE * TABLE["a"]) * NORMS[0] + np.sum(NORMS[1][0] * x)


def squashed_vjp(g, ans, x):
    return g * ((1 - act(x) ** 2) * SCALE * TABLE["a"] * NORMS[0] + NORMS[1][0])


defvjp(squashed, squashed_vjp)


def uses_squashed(x):
    return squashed(x) * 2.0


def test_a_helpers_arrays_dicts_and_aliases_travel_with_it(tmp_path):
    """The helper's global array, dict of arrays, tuple of NumPy values and `act = np.tanh` were
    dropped: the exported module raised NameError on `act` (or SCALE, TABLE)."""
    export(uses_squashed, tmp_path / "sq.py")
    export(uses_squashed, tmp_path / "sq_flat.py", mode="flat")
    out = run_isolated(tmp_path, """
        import sq, sq_flat
        x = np.array([0.3, -0.2, 1.1])
        print(json.dumps({"g": sq.grad_uses_squashed(x).tolist(),
                          "v": float(sq_flat.uses_squashed(x)),
                          "dtype": str(sq.NORMS[0].dtype)}))
        """)
    x = np.array([0.3, -0.2, 1.1])
    np.testing.assert_allclose(out["g"], grad(uses_squashed)(x), rtol=1e-13)
    assert out["v"] == pytest.approx(float(uses_squashed(x)), rel=1e-13)
    assert out["dtype"] == "float32"


class Gain:
    def __init__(self):
        self.c = 3.0


GAIN = Gain()


def gained(x):
    return x * GAIN.c


def gained_vjp(g, ans, x):
    return g * GAIN.c


defvjp(gained, gained_vjp)


def uses_gained(x):
    return gained(x) + x


def test_an_object_a_helper_reads_is_refused_naming_it_and_its_line():
    """An object instance (GAIN) was dropped: the module failed with NameError when run."""
    with pytest.raises(ExportError, match=r"test_export_found\.py:\d+: .*gained.* reads the "
                                          r"global GAIN \(a Gain\)"):
        export_source(uses_gained)


def make_shadowing():
    SCALE = np.array([5.0, 6.0, 7.0])  # a closure's SCALE beside the helper's global SCALE

    def shadowing(x):
        return squashed(x) + np.sum(SCALE * x)
    return shadowing


def test_two_values_of_one_name_are_refused_not_merged():
    """The generated code's constant SCALE (a closure's) and the helper's global SCALE share the
    module's namespace: the one written last replaced the other, silently."""
    with pytest.raises(ExportError, match=r"SCALE.*two values"):
        export_source(make_shadowing())


# --- 2. imports copied from the runtime must run outside the package --------------------------
def test_no_helper_keeps_a_relative_import_and_every_import_runs(tmp_path):
    """standard_draws kept `from .runtime import outside_rule`, which fails outside the package.
    Every helper generated code may call (NAMESPACE but Numba's) is copied as export copies it;
    each import statement of the result (nested in functions too) runs in a fresh Python in a
    directory outside the repository, adcompile blocked."""
    from adcompile.export import _Module
    from adcompile.primitives import NAMESPACE
    import types
    module = _Module("<all>")
    for name, obj in sorted(NAMESPACE.items()):
        if isinstance(obj, types.FunctionType) and obj.__module__.startswith("adcompile") and \
                not obj.__module__.startswith("adcompile.jit"):  # (Numba's versions: not exported)
            module.collect(name, obj)
    text = module.text()
    assert not re.search(r"^\s*(from \.|import adcompile|from adcompile)", text, re.M)
    imports = [ast.unparse(node) for node in ast.walk(ast.parse(text))
               if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert any("threading" in line for line in imports)
    if "scipy" not in sys.modules:
        imports = [line for line in imports if "scipy" not in line]
    (tmp_path / "every_helper.py").write_text(text)
    out = run_isolated(tmp_path, f"""
        for line in {sorted(set(imports))!r}:
            exec(line, {{}})
        import every_helper  # (and every value the helpers read is written out)
        print(json.dumps(sorted(every_helper._REALS, key=str) == [float, np.float64]))
        """)
    assert out is True


def test_the_draws_error_of_another_generator_raises_standalone(tmp_path):
    export(uniform_at, tmp_path / "u.py")
    out = run_isolated(tmp_path, """
        import u
        class Mine:
            def uniform(self, low, high):
                return low + (high - low) * 0.25
        try:
            u.grad_uniform_at(np.array([1.0, 2.0]), Mine())
        except Exception as e:
            print(json.dumps([type(e).__name__, "not a NumPy Generator" in str(e)]))
        """)
    assert out == ["OutsideRuleError", True]


def uniform_at(x, rng):
    return np.sum(rng.uniform(x, 2.0 * x + 1.0))


# --- 3. np.random.seed and generators ---------------------------------------------------------
def seeded(x):
    np.random.seed(3)
    return np.sum(x * np.random.normal(x, 2.0, size=3))


def with_default_rng(x):
    rng = np.random.default_rng(7)
    return np.sum(rng.uniform(x, x * x + 1.0)) + np.sum(rng.normal(x, 0.5))


RNG = np.random.default_rng(5)


def global_generator(x):
    return np.sum(RNG.normal(x, 1.0))


def test_np_random_seed_exports_and_agrees(tmp_path):
    """np.random.seed was a constant `seed` export could not write: the export failed."""
    x = np.array([0.5, -1.0, 2.0])
    for f, name in ((seeded, "s"), (with_default_rng, "r")):
        export(f, tmp_path / f"{name}.py")
        export(f, tmp_path / f"{name}_fwd.py", mode="forward")
    out = run_isolated(tmp_path, """
        import s, s_fwd, r, r_fwd
        x, t = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.5, -2.0])
        print(json.dumps([s.grad_seeded(x).tolist(), float(s_fwd.jvp_seeded(x, t)[1]),
                          r.grad_with_default_rng(x).tolist(),
                          float(r_fwd.jvp_with_default_rng(x, t)[1])]))
        """)
    t = np.array([1.0, 0.5, -2.0])
    np.testing.assert_allclose(out[0], grad(seeded)(x), rtol=1e-13)
    assert out[1] == pytest.approx(float(jvp(seeded, (x,), (t,))[1]), rel=1e-13)
    np.testing.assert_allclose(out[2], grad(with_default_rng)(x), rtol=1e-13)
    assert out[3] == pytest.approx(float(jvp(with_default_rng, (x,), (t,))[1]), rel=1e-13)


def test_the_standard_library_is_not_named_as_a_need():
    """The module imports threading (the draws' copies are kept per thread): its docstring said
    it needs "NumPy and threading"."""
    text = export_source(with_default_rng)
    assert "import threading" in text and "It needs only NumPy;" in text


def test_a_global_generator_is_refused_at_its_line():
    with pytest.raises(ExportError, match=r"test_export_found\.py:\d+: .*RNG \(Generator\).*"
                                          r"argument"):
        export_source(global_generator)


def test_an_unwritable_constant_names_the_line_reading_it():
    import test_export
    with pytest.raises(ExportError, match=r"test_export\.py:\d+: cannot write the constant "
                                          r"THING"):
        export_source(test_export.uses_object, mode="flat")


def fft_and_quantile(x):
    return np.sum(np.fft.rfftn(x).real) + np.sum(np.quantile(x, 0.3, axis=0))


def test_two_runtime_helpers_of_one_name_are_both_kept(tmp_path):
    """runtime_fft and runtime_stats each had a helper `_axes` (of other parameters): a module
    exporting both kept the first one copied, and rfftn's adjoint called quantile's (TypeError).
    Names clash no more (runtime_fft's is _fft_axes), and a clash is refused (the test above)."""
    export(fft_and_quantile, tmp_path / "fq.py")
    out = run_isolated(tmp_path, """
        import fq
        print(json.dumps(fq.grad_fft_and_quantile(np.arange(12.0).reshape(3, 4) ** 1.3).tolist()))
        """)
    np.testing.assert_allclose(out, grad(fft_and_quantile)(np.arange(12.0).reshape(3, 4) ** 1.3))


# --- 4. uniform's standard draws read back once -----------------------------------------------
def uniform_loop(a, b):
    rng = np.random.default_rng(0)
    x = 1.0
    for i in range(4):
        x = x * 0.5 + rng.uniform(a, a + b)
    return x


def uniform_once(a, b):
    return np.sum(np.sin(np.random.default_rng(2).uniform(a, a * b + 1.0, size=4)))


def test_the_uniform_rules_read_u_back_once():
    """The rules of low and high each read u back (`standard_of(s3, s1, a, s0 - a)` twice in
    one derivative, `high - low` computed twice): it is computed once, in every mode, in a
    loop too, and the derivatives still agree with finite differences."""
    from checks import assert_close, numeric_grad
    for f in (uniform_once, uniform_loop):
        for mode in ("reverse", "forward", "value_and_grad", "vjp"):
            text = source(f, mode=mode, argnums=(0, 1))
            assert text.count("standard_of(") == 1, text
        g = grad(f, argnums=(0, 1))(0.3, 1.7)
        for i in (0, 1):
            assert_close(g[i], numeric_grad(f, (0.3, 1.7), i), rtol=1e-6)
        d = jvp(f, (0.3, 1.7), (1.0, -0.5))[1]
        assert d == pytest.approx(g[0] - 0.5 * g[1], rel=1e-12)
    h = grad(grad(uniform_once), argnums=1)(0.3, 1.7)
    assert_close(h, numeric_grad(lambda a, b: grad(uniform_once)(a, b), (0.3, 1.7), 1),
                 rtol=1e-5)


# --- 5. loops left with nothing to do ---------------------------------------------------------
EMPTY_LOOP = re.compile(r"^( *)for [^\n]*:\n\1    pass\n", re.M)


def triangle(x, y):
    s = 0.0
    for i in range(3):
        t = x
        for j in range(i + 1):
            t = t * y + j
        s = s + t
    return s


def counted_twice(x):
    k = 0
    for i in range(3):
        k = k + 2
    s = x
    for j in range(k):
        y = x * 2.0  # noqa: F841 (dead: the loop is left with nothing to do)
    return s * 3.0


def test_a_loop_left_with_nothing_to_do_goes():
    """The float fast path's forward sweep of triangle was `for i in range(3): s0 = i + 1;
    for j in range(s0): pass` (every value it computed is read by the backward sweep only, which
    recomputes them): dead_code dropped an empty loop over constant bounds only."""
    for f in (triangle, counted_twice):
        for mode in ("reverse", "value_and_grad", "forward"):
            text = source(f, mode=mode, argnums=0)
            assert not EMPTY_LOOP.search(text), text
    assert grad(triangle, argnums=(0, 1))(1.5, 0.5) == grad(triangle, argnums=(0, 1))(
        np.float64(1.5), np.float64(0.5))
    assert grad(counted_twice)(2.0) == 3.0


def loop_over_an_argument(x, n):
    for i in range(n):
        y = x * 2.0  # noqa: F841 (dead: the loop is left with nothing to do)
    return x * 3.0


def counter_read_after(x):
    for i in range(3):
        for j in range(i + 1):
            y = x * 2.0  # noqa: F841
    return x * j


def test_an_empty_loop_stays_where_range_may_raise_or_its_counter_is_read():
    """range(n) of an argument raises for a float n, as the function does; a counter read after
    the loop keeps it (j is 2 after the loops)."""
    assert EMPTY_LOOP.search(source(loop_over_an_argument))
    with pytest.raises(TypeError):
        grad(loop_over_an_argument)(1.0, 2.5)
    assert grad(loop_over_an_argument)(1.0, 2) == 3.0
    assert grad(counter_read_after)(1.0) == 2.0 == counter_read_after(1.0)
