"""Regenerate the code listings and outputs in docs/*.md by running the tool.

Every listing in the docs sits between a marker and `<!-- end -->`:

    <!-- run python: adcompile show examples/neuron.py:neuron --mode flat -->
    <!-- include python: examples/neuron.py:neuron -->
    <!-- run text unchecked: python examples/two_layer_net.py -->
    <!-- run raw unchecked: adcompile swell all --sweep n=1..12 --markdown -->

Circuit diagrams are drawn into docs/ by `adcompile graph`, between a marker and `<!-- end -->`
holding the Markdown that shows the picture:

    <!-- graph: examples/circuit.py:circuit --at -2,5,-4 --out circuit.svg -->

They are redrawn when Graphviz's `dot` is installed; `--check` checks that each SVG exists and
shows the values and gradients the diagram has now.

`run` runs an adcompile command (in this process) or `python FILE.py` (in a subprocess);
`include` copies a function's (or a whole file's) source. The word after `run`/`include` is the
fence language, or `raw` for Markdown inserted as it is. `unchecked` marks output that varies
from run to run or machine to machine (timings, training losses): `--check` skips it, and so does
a plain run unless given `--all` (a diff then shows only listings whose code changed).

Hand-written ```python samples are not generated, but they run in the test suite, each as a
script of its own (tests/test_docs.py); a fragment that cannot run has `<!-- partial -->` on the
line before its fence and is only compiled.

    python docs/generate.py           rewrite the checked listings in place
    python docs/generate.py --all     rewrite every listing, timings and losses too
    python docs/generate.py --check   exit 1 if a checked listing is out of date (tests run this)
"""
from __future__ import annotations

import contextlib
import html
import inspect
import io
import os
import re
import shlex
import subprocess
import sys

DOCS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(DOCS)
MARKER = re.compile(r"^<!-- (run|include) (\w+)( unchecked)?: (.*?) -->\n(.*?)^<!-- end -->\n",
                    re.M | re.S)
GRAPH = re.compile(r"^<!-- graph: (.*?) -->\n", re.M)


def run(command: str) -> str:
    words = shlex.split(command)
    if words[0] == "adcompile":
        sys.path.insert(0, ROOT)
        from adcompile.cli import main
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(words[1:])
        if status:
            raise RuntimeError(f"{command} failed: {err.getvalue()}")
        return out.getvalue()
    if words[0] == "python":
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        done = subprocess.run([sys.executable] + words[1:], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        if done.returncode:
            raise RuntimeError(f"{command} failed:\n{done.stderr}")
        return done.stdout
    raise ValueError(f"cannot run {command!r}: start it with adcompile or python")


def include(target: str) -> str:
    """`FILE.py` (the whole file), `FILE.py:FUNC` or `package.module:FUNC` (one function)."""
    path, _, name = target.partition(":")
    if not name:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            return f.read()
    sys.path.insert(0, ROOT)
    from adcompile.cli import load_target
    where = os.path.join(ROOT, path) if path.endswith(".py") else path
    return inspect.getsource(load_target(f"{where}:{name}"))


def render(text: str, check: bool, every: bool = False) -> str:
    def replace(m):
        kind, lang, unchecked, command, old = m.groups()
        if unchecked and (check or not every):
            return m.group(0)
        out = run(command) if kind == "run" else include(command)
        out = out.replace(ROOT + os.sep, "")  # paths as a reader in the checkout would see them
        out = out.rstrip("\n") + "\n"
        body = out if lang == "raw" else f"```{lang}\n{out}```\n"
        head = m.group(0)[:m.start(5) - m.start(0)]
        return f"{head}{body}<!-- end -->\n"
    return MARKER.sub(replace, text)


def draw(text: str, check: bool) -> list:
    """Redraw (or, with `check`, check) the diagrams `text` marks; the names of stale ones."""
    import shutil
    stale = []
    for command in GRAPH.findall(text):
        words = shlex.split(command)
        out = words[words.index("--out") + 1]
        path = os.path.join(DOCS, out)
        words[words.index("--out") + 1] = path
        if not check and shutil.which("dot"):
            run(shlex.join(["adcompile", "graph"] + words))
            continue
        dot = run(shlex.join(["adcompile", "graph"] + words[:words.index("--out")]))
        wires = re.findall(r">(\w+ = [^<]+)</font>", dot)
        try:
            with open(path, encoding="utf-8") as f:
                svg = f.read().replace("&#45;", "-")
        except OSError:
            svg = ""
        if not svg or any(html.escape(w, quote=False) not in svg for w in wires):
            stale.append(out)
    return stale


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    os.chdir(ROOT)
    stale = []
    for name in sorted(os.listdir(DOCS)):
        if not name.endswith(".md"):
            continue
        path = os.path.join(DOCS, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        new = render(text, check, every="--all" in argv)
        stale += draw(text, check)
        if new != text:
            stale.append(name)
            if not check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(new)
    if check and stale:
        print(f"out of date: {', '.join(stale)}; run python docs/generate.py", file=sys.stderr)
        return 1
    print(f"{'checked' if check else 'generated'} {DOCS}"
          + (f" (rewrote {', '.join(stale)})" if stale and not check else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
