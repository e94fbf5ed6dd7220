"""The differential fuzzer (tools/fuzz.py): a bounded, deterministic run of both variants must
find no wrong derivative and no crash; and the fuzzer itself generates valid programs and
catches a wrong derivative."""
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools import fuzz  # noqa: E402
from tools.gen import generate  # noqa: E402

# Programs per variant in the bounded run, and the seeds they come from (fixed: deterministic).
RUN = {"scalar": range(0, 170), "numpy": range(0, 140)}


@pytest.fixture(scope="module")
def loader():
    return fuzz.Loader()


@pytest.mark.parametrize("variant", ["scalar", "numpy"])
def test_fuzz_finds_no_wrong_derivative_and_no_crash(variant, loader):
    counts, first = {}, None
    for seed in RUN[variant]:
        prog, res = fuzz.run_one(seed, variant, loader)
        counts[res.cls] = counts.get(res.cls, 0) + 1
        if res.cls in ("wrong", "crash") and first is None:
            first = (seed, prog, res)
    if first is None:
        return
    seed, prog, res = first
    small, sres = fuzz.minimize(prog, res, loader, budget_s=10.0)
    small.direction = prog.direction
    pytest.fail(
        f"{variant}: {counts.get('wrong', 0)} wrong, {counts.get('crash', 0)} crash in "
        f"{len(RUN[variant])} programs ({counts}).\nFirst failure (seed {seed}): {sres.signature}: "
        f"{sres.detail}\nMinimized reproducer:\n\n{fuzz.reproducer(small, sres, f'seed {seed}')}",
        pytrace=False)


@pytest.mark.parametrize("variant", ["scalar", "numpy"])
def test_generated_programs_are_valid_python_that_runs(variant, loader):
    ran = 0
    for seed in range(200):
        prog = generate(seed, variant)
        assert generate(seed, variant).source == prog.source   # deterministic
        compile(prog.source, "<fuzz>", "exec")
        f = loader.load(prog.source).f
        args = [a.copy() if isinstance(a, np.ndarray) else a for a in prog.args]
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                y = f(*args)
        except (OverflowError, FloatingPointError):
            continue            # a rare overflow: the oracle skips such programs
        ran += 1
        assert np.shape(y) == () and math.isfinite(float(y)), prog.source
        for a, b in zip(args, prog.args):   # never writes into an argument
            assert np.array_equal(a, b), prog.source
    assert ran >= 195


def _fake_api(scale_grad=1.0, shift_value=0.0, scale_tangent=1.0):
    """jvp and value_and_grad computed by finite differences, optionally made wrong."""
    def num_grad(f, args, i, h=1e-6):
        a = args[i]
        if isinstance(a, np.ndarray):
            g = np.zeros_like(a)
            for idx in np.ndindex(a.shape):
                up, dn = [x.copy() if isinstance(x, np.ndarray) else x for x in args], \
                    [x.copy() if isinstance(x, np.ndarray) else x for x in args]
                up[i][idx] += h
                dn[i][idx] -= h
                g[idx] = (f(*up) - f(*dn)) / (2 * h)
            return g
        up, dn = list(args), list(args)
        up[i] += h
        dn[i] -= h
        return (f(*up) - f(*dn)) / (2 * h)

    def jvp(f, primals, tangents):
        h = 1e-6
        up = [p + h * t if not isinstance(p, int) else p for p, t in zip(primals, tangents)]
        dn = [p - h * t if not isinstance(p, int) else p for p, t in zip(primals, tangents)]
        return f(*primals) + shift_value, scale_tangent * (f(*up) - f(*dn)) / (2 * h)

    def value_and_grad(f, argnums):
        def vg(*args):
            return f(*args), tuple(scale_grad * num_grad(f, args, i) for i in argnums)
        return vg
    return jvp, value_and_grad


def _smooth_program():
    src = ("import math\nimport numpy as np\n\n\ndef f(x, y):\n"
           "    s = 0.0\n    for i in range(3):\n        s = s + math.sin(x * y) * x\n"
           "    return s * y\n")
    from tools.gen import Program
    return Program(src, ["x", "y"], [0.7, -1.3], (0, 1), "scalar", 0)


def _exact_api(scale_grad=1.0):
    """The exact derivative of _smooth_program's f = 3 x y sin(x y), written by hand."""
    def grad(x, y):
        c = 3 * x * y * math.cos(x * y)
        return 3 * y * math.sin(x * y) + c * y, 3 * x * math.sin(x * y) + c * x

    def jvp(f, primals, tangents):
        gx, gy = grad(*primals)
        return f(*primals), gx * tangents[0] + gy * tangents[1]

    def value_and_grad(f, argnums):
        return lambda x, y: (f(x, y), tuple(scale_grad * g for g in grad(x, y)))
    return jvp, value_and_grad


def test_oracle_accepts_a_correct_derivative(loader):
    res = fuzz.check(_smooth_program(), loader, api=_exact_api())
    assert res.cls == "ok", res
    res = fuzz.check(_smooth_program(), loader, api=_exact_api(scale_grad=1.0 + 1e-5))
    assert res.cls == "wrong" and res.signature == "wrong:dot-test", res


@pytest.mark.parametrize("fake, kind", [
    (dict(scale_grad=1.5), ("wrong:dot-test", "wrong:grad-vs-fd")),
    (dict(scale_tangent=0.5), ("wrong:jvp-vs-fd",)),
    (dict(shift_value=0.25), ("wrong:value-jvp",)),
])
def test_oracle_flags_a_wrong_derivative(fake, kind, loader):
    res = fuzz.check(_smooth_program(), loader, api=_fake_api(**fake))
    assert res.cls == "wrong" and res.signature in kind, res


def test_oracle_classifies_crashes_and_refusals(loader):
    def crashing_jvp(f, primals, tangents):
        raise KeyError("boom")

    def refusing_jvp(f, primals, tangents):
        raise fuzz.ADCompileError("nope: not supported")
    _, vag = _fake_api()
    assert fuzz.check(_smooth_program(), loader, api=(crashing_jvp, vag)).cls == "crash"
    res = fuzz.check(_smooth_program(), loader, api=(refusing_jvp, vag))
    assert res.cls == "refused" and "nope" in res.signature


def test_minimizer_shrinks_while_the_failure_persists(loader):
    from tools.gen import Program
    src = ("import math\nimport numpy as np\n\n\ndef h0(a, b):\n    a = a * 2.0\n    return a + b\n\n\n"
           "def f(x, y):\n    t = x * y\n    for i in range(2):\n        t = t + math.cos(x)\n"
           "    if t > 100.0:\n        t = 0.0\n    u = h0(t, y)\n    return u * 0.5 + x\n")
    prog = Program(src, ["x", "y"], [0.3, 0.8], (0, 1), "scalar", 0)
    wrong = _fake_api(scale_grad=1.5)
    res = fuzz.check(prog, loader, api=wrong)
    assert res.cls == "wrong"
    small, sres = fuzz.minimize(prog, res, loader,
                                check_fn=lambda p: fuzz.check(p, loader, api=wrong))
    assert sres.signature == res.signature
    assert len(small.source) < len(src) and "for" not in small.source and "h0" not in small.source


def test_rounding_in_an_ill_conditioned_program_is_not_a_wrong_derivative(loader):
    """Fuzz seed 2000006004197 (numpy): x is cubed three times (intermediates near 1e23) and f
    does not depend on x, so jvp's tangent cancels to exactly 0.0 while v.grad keeps -138. Run in
    long double the same code moves both by more than they differ: rounding, skipped."""
    from tools.gen import Program
    src = ("import math\nimport numpy as np\n\n\ndef f(x, W, s, u):\n"
           "    for i3 in range(len(u)):\n"
           "        x = (x + x) ** 3\n        x *= np.cos(x)\n        k4 = 0\n"
           "        while abs(s) < 2.0 and k4 < 4:\n            k4 += 1\n"
           "            if 0.0 < s < 1.0:\n                pass\n            else:\n"
           "                u = -np.cos(u)\n"
           "            s += 0.5 * abs(s) + 0.3\n"
           "            x -= min(s if 0.0 < s < 1.0 else s, min(k4 * 0.25, i3 * 0.25))\n"
           "        t12 = np.maximum(x - u, u * x)\n        s -= s\n"
           "    return np.sin(s * s) - np.sum(t12) + np.sum(x)\n")
    args = [np.array([-0.709969, -0.248786, 1.114688]), np.zeros((2, 3)), -1.192777,
            np.array([1.3704, -1.422254, -1.687068])]
    prog = Program(src, ["x", "W", "s", "u"], args, (0, 2, 3), "numpy", 0)
    res = fuzz.check(prog, loader)
    assert res.cls != "wrong", res


def test_a_point_where_f_jumps_is_not_a_wrong_derivative(loader):
    """Fuzz seed 6000018033520 (numpy) lands exactly on a point where f jumps: f = 1.588 there
    and -0.616 a billionth away on either side, where finite differences agree on one slope
    (-0.2097) at every step size and jvp gives the slope of the branch taken at the point itself
    (0.0930). The derivative does not exist there: skipped, not wrong."""
    from tools.gen import Program
    src = ("import math\nimport numpy as np\n\n\ndef f(x, y):\n"
           "    if x == 0.5:\n        return 3.0 * x * y + 1.0\n"
           "    return x * y\n")
    res = fuzz.check(Program(src, ["x", "y"], [0.5, 0.25], (0, 1), "scalar", 0), loader)
    assert res.cls == "skipped" and res.signature == "skip:fd-unstable", res


def test_the_jit_check_compares_compiled_code_with_python(loader, monkeypatch):
    """--jit: adcompile.jit's value and gradient against the Python code's; a jit that returns
    another gradient is a wrong derivative, one that refuses a refusal."""
    pytest.importorskip("numba")
    import signal
    old = signal.signal(signal.SIGALRM, fuzz._alarm)  # (a compile past the alarm: Timeout)
    try:
        _check_jit(loader, monkeypatch)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _check_jit(loader, monkeypatch):
    prog = _smooth_program()
    f = loader.load(prog.source).f
    assert fuzz._jit_check(f, prog, prog.args).cls == "ok"
    real = fuzz.adcompile.jit

    def off(g):  # (the gradient's first entry off by one part in a million)
        compiled = real(g)

        def wrong(*args):
            out = compiled(*args)
            if type(out) is not tuple:  # (jit(f)'s value)
                return out
            value, grads = out
            return value, (grads[0] * (1 + 1e-6), *grads[1:])
        return wrong
    monkeypatch.setattr(fuzz.adcompile, "jit", off)
    res = fuzz._jit_check(f, prog, prog.args)
    assert res.cls == "wrong" and res.signature == "wrong:jit-gradient", res

    def refusing(g):
        raise fuzz.ADCompileError("Numba cannot compile this")
    monkeypatch.setattr(fuzz.adcompile, "jit", refusing)
    res = fuzz._jit_check(f, prog, prog.args)
    assert res.cls == "refused" and res.signature.startswith("jit: "), res
