"""Build time: how long grad takes to produce a derivative, against program size.

Run: python benchmarks/bench_build.py   (about 20 s; the disk cache is off for this process)
Target (issue 11): 3000 statements, half of them math calls, in <= 1.5 s, growing linearly.
The program is straight-line scalar code: `a = math.sin(a) * 3.0 + b`, `c = a * b`, ...; the
last row writes the same program with augmented assignments (`a += math.sin(a) * 3.0`), which
lowering once took quadratic time over (36 s for 1500 statements).
"""
import importlib.util
import os
import sys
import tempfile
import time

os.environ["ADCOMPILE_CACHE_DIR"] = "off"  # time the transformation, not the disk cache
import checkout  # noqa: E402,F401  (this checkout's adcompile)

from adcompile import grad  # noqa: E402
from adcompile.api import _lower, _wrt  # noqa: E402
from adcompile.cache import COMPILED  # noqa: E402
from adcompile.compile import compile_text, located_source  # noqa: E402
from adcompile.optimize import optimize  # noqa: E402
from adcompile.reverse import reverse  # noqa: E402
from adcompile.rewrite import hoist, idioms  # noqa: E402


def program(n, folder, augmented=False):
    """A function of n statements, every other one calling math.sin or math.cos."""
    lines = ["import math", "", "", "def f(x, y):", "    a, b = x, y"]
    for k in range(n // 2):
        if augmented:
            lines.append(f"    a += math.sin(a) * {1 + k % 7}.0" if k % 2 else
                         "    b -= math.cos(b) * a")
        else:
            lines.append(f"    a = math.sin(a) * {1 + k % 7}.0 + b" if k % 2 else
                         "    b = math.cos(b) + a * 0.5")
        lines.append(f"    c{k} = a * b")
    lines.append("    return a + b")
    path = os.path.join(folder, f"program_{n}{'_augmented' if augmented else ''}.py")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def stages(f):
    """Seconds spent in each stage of one build of grad(f, argnums=(0, 1))."""
    out, t = {}, time.perf_counter()

    def lap(name):
        nonlocal t
        now = time.perf_counter()
        out[name], t = now - t, now
    flat = _lower(f, "grad")
    lap("parse + lower")
    flat = hoist(idioms(flat))
    fn = reverse(flat, _wrt(flat, (0, 1), None), kind="grad")
    lap("reverse")
    fn = optimize(fn)
    lap("optimize")
    src, text = located_source(fn)
    lap("unparse")
    compile_text(text, fn.name, fn.constants)
    lap("compile")
    return out


def main():
    with tempfile.TemporaryDirectory() as folder:
        print(f"| {'statements':>10} | {'grad(f) built':>13} | per statement | stages")
        print(f"|{'-' * 12}|{'-' * 15}|---------------|-------")
        for n, augmented in ((750, False), (1500, False), (3000, False), (3000, True)):
            f = program(n, folder, augmented)
            COMPILED.clear()
            start = time.perf_counter()
            grad(f, argnums=(0, 1))(0.3, 0.4)
            total = time.perf_counter() - start
            parts = ", ".join(f"{k} {v:.2f}" for k, v in stages(f).items())
            label = f"{n} (+=)" if augmented else str(n)
            print(f"| {label:>10} | {total:>11.2f} s | {total / n * 1e3:>10.2f} ms | {parts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
