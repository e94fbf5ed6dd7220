"""Programs large enough that a pass quadratic in their size shows: each is built and checked
against finite differences (what a hang looks like here is CI's timeout; speed itself is
measured in benchmarks/bench_build.py)."""
import numpy as np

from adcompile import grad, value_and_grad
from checks import numeric_grad
from nested_helpers import f as nested_helpers
from test_higher_found2 import calls_grad_in_loop


def test_helpers_inlined_in_a_loop_nest():
    args = (0.3, 0.3, 0.3)
    value, grads = value_and_grad(nested_helpers, argnums=(0, 1, 2))(*args)
    assert value == nested_helpers(*args)
    for i in range(3):
        assert np.isclose(grads[i], numeric_grad(nested_helpers, args, i), rtol=1e-6, atol=1e-8)


def _lowering_work(n):
    """How many statement scans lowering does on n augmented assignments `s += ...`."""
    import math
    import adcompile.lower.scan as scan
    from adcompile.api import _lower

    lines = ["def f(x):", "    s = x"] + [f"    s += math.sin(s) * {k % 5 + 1}.0"
                                          for k in range(n)] + ["    return s"]
    space = {"math": math}
    exec(compile("\n".join(lines) + "\n", f"<augmented_{n}>", "exec"), space)
    calls, loaded = [0], scan.loaded

    def counted(stmts):
        calls[0] += len(stmts)
        return loaded(stmts)
    scan.loaded = counted
    try:
        import linecache
        linecache.cache[f"<augmented_{n}>"] = (0, None, [ln + "\n" for ln in lines],
                                               f"<augmented_{n}>")
        _lower(space["f"], "grad")
    finally:
        scan.loaded = loaded
    return calls[0]


def test_augmented_assignments_are_lowered_in_linear_work():
    # each `s += ...` asked for the names the statements after it read, rescanning them all:
    # 1500 such statements took 36 s to build
    assert _lowering_work(200) <= 2.5 * _lowering_work(100)


class _CountedEnv(dict):
    """An environment that counts the entries read by walking it (not by looking one up)."""
    walked = 0

    def items(self):
        for item in super().items():
            _CountedEnv.walked += 1
            yield item

    def __iter__(self):
        for key in super().__iter__():
            _CountedEnv.walked += 1
            yield key


def _entries_walked_per_change(n):
    """Entries of the environment check_in_place walks per `a += ...`, in a function that binds
    a new name after each one (c0, c1, ...: the environment grows with the function)."""
    import linecache
    import math
    from adcompile.api import _lower
    from adcompile.lower.merging import Merging

    lines = ["def f(x, y):", "    a, b = x, y"]
    for k in range(n):
        lines += [f"    a += math.sin(a) * {k % 5 + 1}.0", f"    c{k} = a * b"]
    lines.append("    return a + b")
    name = f"<growing_{n}>"
    space = {"math": math}
    exec(compile("\n".join(lines) + "\n", name, "exec"), space)
    linecache.cache[name] = (0, None, [ln + "\n" for ln in lines], name)
    check, calls = Merging.check_in_place, [0]

    def counted(self, node, target, env, *rest, **options):
        calls[0] += 1
        return check(self, node, target, _CountedEnv(env), *rest, **options)
    Merging.check_in_place = counted
    _CountedEnv.walked = 0
    try:
        _lower(space["f"], "grad")
    finally:
        Merging.check_in_place = check
    assert calls[0] >= n
    return _CountedEnv.walked / calls[0]


def test_a_change_in_place_looks_at_the_names_read_later_not_at_every_name():
    # each `x += v` walked (and sorted) every name bound so far to find who else holds x's
    # value: quadratic in a long function (0.4 s of the 1500 `+=` of bench_build.py)
    assert _entries_walked_per_change(200) <= 1.2 * _entries_walked_per_change(50) + 5


def _tape_work(n):
    """Statements the tape's passes walk to find what loops assign, for a loop holding n
    if/else statements (a block each: the tape is laid per block)."""
    import linecache
    import math
    import adcompile.ir as ir
    import adcompile.tape as tape
    from adcompile import grad

    lines = ["def f(x, y):", "    s = 0.0", "    for i in range(3):"]
    for k in range(n):
        lines += [f"        if s > {k}.5:", f"            s = s + math.sin(x * {k % 5 + 1}.0)",
                  "        else:", f"            s = s * y + {k % 3}.0"]
    lines.append("    return s")
    name = f"<branches_{n}>"
    space = {"math": math}
    exec(compile("\n".join(lines) + "\n", name, "exec"), space)
    linecache.cache[name] = (0, None, [ln + "\n" for ln in lines], name)
    targets_of, inner, walked = tape.targets_of, ir._targets, [0]

    def counted_walk(stmt, out):
        walked[0] += 1
        return inner(stmt, out)

    def counted(stmt):
        ir._targets = counted_walk
        try:
            return targets_of(stmt)
        finally:
            ir._targets = inner
    tape.targets_of = counted
    try:
        x, y = 0.3, 0.4
        g = grad(space["f"], argnums=(0, 1))(x, y)
        assert np.allclose(g, [numeric_grad(space["f"], (x, y), i) for i in (0, 1)], rtol=1e-6)
    finally:
        tape.targets_of = targets_of
    return walked[0]


def test_the_tape_walks_each_loop_once_not_once_per_branch():
    # what a loop assigns was asked again for each of its blocks (each branch of each if):
    # a fuzzed program inlining a helper with loops 30 times took 10 s to build
    assert _tape_work(40) <= 5 * _tape_work(10)


def test_second_derivative_of_a_loop_calling_grad_builds_in_seconds():
    # each loop asked, for every name, whether adcompile's own helpers in the inner gradient's
    # code (unbroadcast, zeros_like) change it in place, parsing them again each time: 28 s
    from adcompile.lower import changes
    seen = []
    parse = changes.parse
    changes.parse = lambda f, *a: seen.append(f) or parse(f, *a)
    try:
        grad(grad(calls_grad_in_loop))(0.3)
    finally:
        changes.parse = parse
    assert not any(f.__module__.startswith("adcompile") for f in seen), seen
    assert len(seen) == len(set(seen)), seen


def _operand_work(n):
    """How many times reverse mode asks which operands of a statement carry a derivative, in a
    straight-line function of n statements (`a = math.sin(a) * 0.5 + b * 0.25`, ...)."""
    import linecache
    import math
    from adcompile import analysis

    lines = ["def f(x, y):", "    a, b = x, y"]
    for k in range(n // 2):
        lines += ["    a = math.sin(a) * 0.5 + b * 0.25", "    b = math.cos(b) * 0.5 + a * 0.25"]
    lines.append("    return a + b")
    name = f"<straight_{n}>"
    space = {"math": math}
    exec(compile("\n".join(lines) + "\n", name, "exec"), space)
    linecache.cache[name] = (0, None, [ln + "\n" for ln in lines], name)
    calls, carrying = [0], analysis._carrying

    def counted(s, fn):
        calls[0] += 1
        return carrying(s, fn)
    analysis._carrying = counted
    try:
        g = grad(space["f"], argnums=(0, 1))(0.3, 0.4)
        assert np.allclose(g, [numeric_grad(space["f"], (0.3, 0.4), i) for i in (0, 1)],
                           rtol=1e-5, atol=1e-8)
    finally:
        analysis._carrying = carrying
    return calls[0]


def test_what_reaches_the_output_is_found_in_linear_work():
    # reaching walked the statements first to last while a derivative flows last to first: a
    # pass per statement, 3000 statements took 20 s to build (benchmarks/bench_build.py)
    assert _operand_work(400) <= 2.5 * _operand_work(200)
