"""Expression swell: our counts are sympy's own count_ops, and our operation counter is exact."""
import math

import numpy as np
import pytest

from adcompile import ADCompileError, sigmoid
from adcompile.swell import (count_ops, expression, family_function, family_source, swell,
                             swell_sweep)

sp = pytest.importorskip("sympy")


def logistic_by_hand(n):
    """l_1 = x, l_{k+1} = 4 l_k (1 - l_k), built directly in sympy."""
    x = sp.Symbol("x", real=True)
    y = x
    for _ in range(n - 1):
        y = 4 * y * (1 - y)
    return x, y


def test_logistic_map_matches_sympy_and_the_reference():
    report = swell(family_function("logistic", 8), timing=False)
    x, y = logistic_by_hand(8)
    d = sp.diff(y, x)
    repl, reduced = sp.cse([d])
    assert report["expr"] == sp.count_ops(y)
    assert report["diff"] == sp.count_ops(d) == 5472       # the reference, sympy 1.14
    assert report["cse"] == sum(sp.count_ops(v) for _, v in repl) + \
        sum(sp.count_ops(r) for r in reduced) == 123
    assert report["flat"] == 21                               # 7 steps of 3 operations
    assert report["reverse"] == 47 and report["forward"] == 56
    assert report.max_rel_diff < 1e-12
    assert "5472" in report.table() and "| sympy.diff | 5472 |" in report.markdown()


def test_sum_over_arguments_and_cse_of_all_derivatives():
    report = swell(family_function("product", 4), timing=False)
    xs = sp.symbols("x1:5", real=True)
    e = xs[0] * xs[1] * xs[2] * xs[3]
    ds = [sp.diff(e, x) for x in xs]
    assert report["diff"] == sum(sp.count_ops(d) for d in ds) == 8
    repl, reduced = sp.cse(ds)
    assert report["cse"] == sum(sp.count_ops(v) for _, v in repl) + \
        sum(sp.count_ops(r) for r in reduced)
    assert report.wrt == ["x1", "x2", "x3", "x4"]
    one = swell(family_function("product", 4), argnums=(1,), timing=False)
    assert one.wrt == ["x2"] and one["diff"] == sp.count_ops(sp.diff(e, xs[1])) == 2


def helper(u):
    return u * math.exp(u)


def mixed(a, b):
    t = np.sin(a) * b + helper(b)
    return sigmoid(t) + max(a, b) + abs(a)


def test_expression_maps_math_numpy_helpers_and_sigmoid():
    (a, b), e = expression(mixed)
    t = sp.sin(a) * b + b * sp.exp(b)
    assert sp.simplify(e - (1 / (1 + sp.exp(-t)) + sp.Max(a, b) + sp.Abs(a))) == 0
    assert mixed(0.3, 0.4) == pytest.approx(float(e.subs({a: 0.3, b: 0.4})))


def test_derivatives_agree_with_ours_and_timings_are_reported():
    report = swell(mixed)
    assert report.max_rel_diff < 1e-12
    rows = {r.label: r for r in report.rows}
    assert rows["sympy.diff"].build > 0 and rows["reverse mode (adcompile)"].run > 0


def test_sweep_small():
    sweep = swell_sweep("nested_sin", range(1, 4), timing=False)
    x = sp.Symbol("x", real=True)
    e = x
    for n, report in zip(sweep.ns, sweep.reports):
        e = sp.sin(e)
        assert report["diff"] == sp.count_ops(sp.diff(e, x))
    assert "nested_sin" in sweep.table() and sweep.markdown().count("\n|") >= 4
    assert swell_sweep("mlp", [2], timing=False).reports[0].max_rel_diff < 1e-12


def test_family_sources_are_readable_python():
    for family in ("nested_sin", "logistic", "product", "mlp"):
        src = family_source(family, 3)
        compile(src, family, "exec")
        import inspect
        assert inspect.getsource(family_function(family, 3)) == src
    with pytest.raises(ADCompileError):
        family_source("spiral", 3)


def test_count_ops_of_generated_code():
    src = ("def f(x, y):\n    a = -x + 2 * y\n    b = np.sin(a) - (-1)\n    c = a > b\n"
           "    if type(a) is float and type(x) is float:\n        return a\n"
           "    check_scalar(a)\n    return unbroadcast(a * c, x)\n")
    # neg, add, mul | sin, sub (the -1 is a literal) | > | the guard: 0 | a * c: 1
    assert count_ops(src) == 7


def test_functions_swell_cannot_handle():
    def vector(x):
        return np.sum(x)

    def pair(x):
        return x, x

    with pytest.raises(ADCompileError, match="one scalar expression"):
        swell(pair)
    with pytest.raises(ADCompileError, match="no sympy counterpart|sympy symbols"):
        swell(vector)


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    sweep = swell_sweep("logistic", [1, 2, 3], timing=False)
    sweep.plot(tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000
