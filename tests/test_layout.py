"""The package's layout: no import cycles between its modules (lazy imports inside functions
count too), and modules small enough to read."""
import ast
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "adcompile"
# Tools apart from the compiler (they drive it, it never reads them) and the package's entry.
TOOLS = {"adcompile", "adcompile.__main__", "adcompile.cli", "adcompile.demo", "adcompile.swell",
         "adcompile.graph", "adcompile.export", "adcompile.higher", "adcompile.jit"}


def _module(path):
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports():
    graph = {}
    for path in ROOT.rglob("*.py"):
        name = _module(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:  # `from . import api` names a module
                    sub = f"{target}.{alias.name}"
                    deps.add(sub if (ROOT.parent / sub.replace(".", "/")).with_suffix(".py")
                             .exists() else target)
        graph[name] = {d for d in deps if d != name}
    return graph


def test_no_import_cycles():
    graph = _imports()
    compiler = {m: {d for d in deps if d not in TOOLS and d in graph}
                for m, deps in graph.items() if m not in TOOLS}
    state, cycles = {}, []

    def visit(m, path):
        state[m] = "open"
        for d in sorted(compiler.get(m, ())):
            if d.startswith(m + "."):  # a package importing its own modules
                continue
            if state.get(d) == "open":
                cycles.append(path[path.index(d):] + [d])
            elif d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in sorted(compiler):
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_modules_stay_readable():
    long = {_module(p): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 900}
    assert not long, f"split these modules by concern: {long}"


def test_every_subpackage_is_installed():
    """pyproject listed packages = ["adcompile"]: a pip install left out adcompile.lower, and the
    installed package failed at import (the tests, run from the checkout, never saw it)."""
    import re
    text = (ROOT.parent / "pyproject.toml").read_text()
    found = re.search(r"\[tool\.setuptools\.packages\.find\]\s*\n\s*include\s*=\s*\[([^\]]*)\]",
                      text)
    listed = re.search(r"^packages\s*=\s*\[([^\]]*)\]", text, re.M)
    packages = {_module(p.parent) if p.parent != ROOT else "adcompile"
                for p in ROOT.rglob("__init__.py")}
    if found:
        patterns = [p.strip().strip('"') for p in found.group(1).split(",") if p.strip()]
        assert all(any(re.fullmatch(pat.replace(".", r"\.").replace("*", ".*"), pkg)
                       for pat in patterns) for pkg in packages), (packages, patterns)
    else:
        assert listed, "pyproject.toml names no packages"
        names = {p.strip().strip('"') for p in listed.group(1).split(",") if p.strip()}
        assert packages <= names, f"not installed: {sorted(packages - names)}"


def test_benchmarks_time_this_checkout_not_an_installed_copy(tmp_path):
    """A script's folder, not the repository, is on sys.path: a benchmark run as
    `python benchmarks/bench_jit.py` timed whatever adcompile site-packages held (a stale copy
    did, once). Here a decoy package stands first on the path, after the script's folder."""
    decoy = tmp_path / "adcompile"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("raise ImportError('the decoy adcompile')\n")
    bench = ROOT.parent / "benchmarks"
    scripts = sorted(p.stem for p in bench.glob("bench_*.py"))
    assert {"bench_speed", "bench_jit", "bench_build", "bench_core"} <= set(scripts)
    probe = (f"import sys, importlib; path = [{str(bench)!r}] + sys.path\n"
             "for name in sys.argv[1:]:\n"
             "    sys.path[:] = path\n"
             "    for m in [m for m in sys.modules if m.split('.')[0] in\n"
             "              ('adcompile', 'checkout') or m.startswith('bench_')]:\n"
             "        del sys.modules[m]\n"
             "    try:\n"
             "        importlib.import_module(name)\n"
             "    except ImportError as e:\n"
             "        print(name, e)\n"
             "    else:\n"
             "        print(name, sys.modules['adcompile'].__file__)\n")
    out = subprocess.run([sys.executable, "-c", probe, *scripts], cwd=tmp_path, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines() == [f"{name} {ROOT / '__init__.py'}" for name in scripts]
