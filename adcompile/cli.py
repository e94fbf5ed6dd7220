"""The command line: `adcompile show | export | graph | swell | demo` (also `python -m adcompile`).

    adcompile show model.py:loss --argnums 0,1        the generated gradient, annotated
    adcompile show mypkg.losses:loss --mode forward   a function from an importable module
    adcompile export model.py:loss --out grad_loss.py a standalone module needing only NumPy
    adcompile graph model.py:f --at 2,-1 --out f.svg  the circuit diagram at those arguments
    adcompile swell model.py:f                        sympy.diff against generated code
    adcompile swell logistic --sweep n=1..12 --plot swell.png

Errors about the user's code or arguments print one line to stderr and exit with status 1
(argparse's usage errors exit with 2).
"""
from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import io
import keyword
import os
import sys
import tokenize

from . import __version__
from .errors import ADCompileError
from .parse import signature_of

MODES = ("flat", "forward", "reverse", "value_and_grad", "vjp")


class CLIError(ADCompileError):
    """A bad target or option on the command line."""


# --- finding the user's function -------------------------------------------------------------
def load_target(target: str):
    """The function named by `PATH.py:FUNC` or `package.module:FUNC` (FUNC may be dotted)."""
    where, sep, name = target.rpartition(":")
    if not sep or not where or not name:
        raise CLIError(f"expected PATH.py:FUNC or package.module:FUNC, got {target!r}")
    if where.endswith(".py") or os.sep in where or "/" in where:
        module = _load_file(where)
    else:
        module = _import_module(where)
    obj = module
    for part in name.split("."):
        if not hasattr(obj, part):
            found = sorted(k for k, v in vars(module).items()
                           if inspect.isfunction(v) and v.__module__ == module.__name__)
            hint = f"; functions defined there: {', '.join(found)}" if found else ""
            raise CLIError(f"{where} has no function {name!r}{hint}")
        if inspect.isclass(obj) and inspect.isfunction(vars(obj).get(part)):
            _method(obj, vars(obj)[part])
        obj = getattr(obj, part)
    if inspect.isclass(obj):
        methods = sorted(k for k, v in vars(obj).items() if inspect.isfunction(v))
        hint = f": name one of its methods, {name}.{methods[0]}" if methods else ""
        raise CLIError(f"{target} is a class, not a function{hint}")
    if not callable(obj):
        raise CLIError(f"{target} is not a function but a value of type {type(obj).__name__}")
    return obj


def _method(cls, method):
    """A method of a class: its first parameter is an instance, which the command line cannot
    make (nor differentiate as a number)."""
    params = list(signature_of(method).parameters)
    if not params:
        return
    code = method.__code__
    obj = cls.__name__.lower()
    rest = ", ".join(params[1:2])
    raise CLIError(
        f"{cls.__name__}.{method.__name__} is a method: its first parameter {params[0]} is an "
        f"instance of {cls.__name__}, which the command line cannot make; in Python, make one "
        f"and print the code of the bound method: {obj} = {cls.__name__}(...); "
        f"print(adcompile.source(adcompile.grad({obj}.{method.__name__}), at=({rest},)))",
        code.co_filename, code.co_firstlineno)


def _load_file(path):
    if not os.path.isfile(path):
        raise CLIError(f"no such file: {path}")
    path = os.path.abspath(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    name = stem if stem.isidentifier() and stem not in sys.modules else \
        f"_adcompile_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(path)
    if folder not in sys.path:  # as when the file is run as a script: its neighbours import
        sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except ADCompileError:
        raise
    except SyntaxError as e:
        del sys.modules[name]
        raise CLIError(f"cannot import {path}: SyntaxError: {e.msg}", path, e.lineno) from None
    except BaseException as e:  # noqa: B036 - the user's module may do anything, even exit
        del sys.modules[name]
        raise CLIError(f"cannot import {path}: {type(e).__name__}: {e}") from None
    return module


def _import_module(name):
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # as python -m does
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and name.startswith(e.name):
            raise CLIError(f"no module named {name!r} (nor a file: write PATH.py:FUNC for a "
                           "file)") from None
        raise CLIError(f"cannot import {name}: ModuleNotFoundError: {e}") from None
    except ADCompileError:
        raise
    except BaseException as e:  # noqa: B036
        raise CLIError(f"cannot import {name}: {type(e).__name__}: {e}") from None


def parse_argnums(text: str):
    """`0` -> 0, `0,1` -> (0, 1), `1,` -> (1,), `all` -> None (every parameter)."""
    if text == "all":
        return None
    try:
        parts = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise CLIError(f"--argnums takes integers separated by commas (0,1) or 'all', "
                       f"not {text!r}") from None
    if not parts:
        raise CLIError("--argnums needs at least one integer")
    return parts[0] if len(parts) == 1 and "," not in text else tuple(parts)


def parse_at(text: str, argnums, n: int):
    """`2,-1,-3` -> (2.0, -1.0, -3.0); Python literals, a list becoming a NumPy array. Integers
    stay integers outside `argnums` (a loop count), and are floats inside."""
    import numpy as np
    try:
        values = ast.literal_eval(f"({text},)")
    except (ValueError, SyntaxError):
        raise CLIError(f"--at takes the arguments as Python literals separated by commas "
                       f"(2,-1.5 or [1,2],3), not {text!r}") from None
    nums = set(range(n)) if argnums is None else \
        {argnums % n if n else argnums} if isinstance(argnums, int) else {i % n for i in argnums}
    out = []
    for i, v in enumerate(values):
        if isinstance(v, (list, tuple)) and not isinstance(v, bool):
            v = np.array(v, dtype=float if i in nums else None)
        elif isinstance(v, int) and not isinstance(v, bool) and i in nums:
            v = float(v)
        out.append(v)
    return tuple(out)


def parse_sweep(text: str):
    """`n=1..12`, `1..12`, `n=1,2,4` or `n=5` -> a list of n."""
    spec = text.split("=", 1)[1] if "=" in text else text
    try:
        if ".." in spec:
            lo, hi = spec.split("..")
            ns = list(range(int(lo), int(hi) + 1))
        else:
            ns = [int(p) for p in spec.split(",") if p.strip()]
    except ValueError:
        ns = []
    if not ns or min(ns) < 1:
        raise CLIError(f"--sweep takes n=FIRST..LAST or n=A,B,C with n >= 1, not {text!r}")
    return ns


# --- colour ----------------------------------------------------------------------------------
_STYLE = {"keyword": "1;35", "comment": "2;32", "number": "36", "string": "33",
          "grad": "1;33", "tangent": "1;36", "def": "1;34"}


def highlight(src: str) -> str:
    """Python source with ANSI colours: keywords, comments, numbers, `grad_*` adjoints and `d_*`
    tangents (what a reader follows through a backward pass)."""
    starts = [0]
    for line in src.splitlines(True):
        starts.append(starts[-1] + len(line))

    def offset(pos):
        row, col = pos
        return starts[row - 1] + col if row - 1 < len(starts) else len(src)

    out, done, prev = [], 0, None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            text, style = tok.string, None
            if tok.type == tokenize.COMMENT:
                style = "comment"
            elif tok.type == tokenize.NUMBER:
                style = "number"
            elif tok.type == tokenize.STRING:
                style = "string"
            elif tok.type == tokenize.NAME:
                if keyword.iskeyword(text):
                    style = "keyword"
                elif prev == "def":
                    style = "def"
                elif text.startswith("grad_"):
                    style = "grad"
                elif text.startswith("d_"):
                    style = "tangent"
                prev = text
            if style:
                begin, end = offset(tok.start), offset(tok.end)
                out.append(src[done:begin])
                out.append(f"\033[{_STYLE[style]}m{src[begin:end]}\033[0m")
                done = end
    except (tokenize.TokenError, SyntaxError):
        return src
    out.append(src[done:])
    return "".join(out)


def use_colour(choice: str, stream) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


# --- commands --------------------------------------------------------------------------------
def cmd_show(args):
    from .api import source
    f = load_target(args.target)
    if args.mode is None and hasattr(f, "__adcompile__"):  # made by grad & co.: its own code
        src = source(f, annotate=not args.no_annotate)
    else:
        src = source(f, mode=args.mode or "reverse", argnums=parse_argnums(args.argnums),
                     optimize=not args.no_optimize, annotate=not args.no_annotate)
    sys.stdout.write(highlight(src) if use_colour(args.color, sys.stdout) else src)
    return 0


def cmd_export(args):
    from .export import export
    f = load_target(args.target)
    mode, argnums, optimize = args.mode or "reverse", parse_argnums(args.argnums), \
        not args.no_optimize
    info = getattr(f, "__adcompile__", None)
    if args.mode is None and info is not None:  # made by grad & co.: its own code
        f, mode, argnums, optimize = info.function, info.mode, info.argnums, info.optimize
    path = export(f, args.out, mode=mode, argnums=argnums, optimize=optimize,
                  annotate=not args.no_annotate,
                  command=" ".join(["adcompile", "export"] + args.argv))
    print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_graph(args):
    from .graph import graph
    f = load_target(args.target)
    argnums = parse_argnums(args.argnums)
    try:
        n = len(signature_of(f).parameters)
    except (TypeError, ValueError):
        n = 0
    diagram = graph(f, *parse_at(args.at, argnums, n), argnums=argnums, unroll=args.unroll)
    if args.out:
        diagram.save(args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(diagram.dot)
    return 0


def cmd_swell(args):
    from . import swell as _  # noqa: F401  (adcompile.swell the attribute is the function)
    sw = sys.modules[__package__ + ".swell"]
    fmt = (lambda r: r.markdown()) if args.markdown else (lambda r: r.table())  # noqa: E731
    argnums = parse_argnums(args.argnums) if args.argnums else None
    if args.sweep is None:
        if args.plot:
            raise CLIError("--plot draws a sweep: add --sweep n=1..12")
        if ":" not in args.target:
            raise CLIError(f"swell of a family needs --sweep (e.g. swell {args.target} "
                           "--sweep n=1..12); one function is PATH.py:FUNC")
        report = sw.swell(load_target(args.target), argnums, timing=not args.no_timing,
                          budget=args.budget or None)
        print(fmt(report))
        return 0
    ns = parse_sweep(args.sweep)
    if ":" in args.target:
        families = [load_target(args.target)]  # a function n -> function to differentiate
    elif args.target == "all":
        families = list(sw.FAMILIES)
    elif args.target in sw.FAMILIES:
        families = [args.target]
    else:
        raise CLIError(f"unknown family {args.target!r}: use {', '.join(sw.FAMILIES)}, all, or "
                       "PATH.py:FUNC for a function n -> function")
    if args.plot:
        sw._need("matplotlib", "--plot")  # fail before the long part
    sweeps = []
    for fam in families:
        sweep = sw.swell_sweep(fam, ns, argnums, timing=not args.no_timing,
                               budget=args.budget or None)
        sweeps.append(sweep)
        print(fmt(sweep), flush=True)
    if args.plot:
        sw.plot_sweeps(sweeps, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def cmd_demo(args):
    from .demo import main as demo
    demo()
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="adcompile", description="Automatic differentiation by source transformation: "
        "print, export and measure the derivative code adcompile generates.")
    parser.add_argument("--version", action="version", version=f"adcompile {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def code_options(p):
        p.add_argument("target", metavar="TARGET",
                       help="PATH.py:FUNC or package.module:FUNC")
        p.add_argument("--mode", choices=MODES, default=None,
                       help="flat code, forward mode (tangents d_<name>), reverse mode "
                       "(adjoints grad_<name>), value_and_grad or vjp (default: reverse; of "
                       "a function made by grad & co., its own code)")
        p.add_argument("--argnums", default="0", metavar="I[,J...]",
                       help="the parameters to differentiate: 0, 0,1 or all (default: 0, as grad)")
        p.add_argument("--no-optimize", action="store_true",
                       help="show the code before the optimizer runs")
        p.add_argument("--no-annotate", action="store_true",
                       help="leave out the '# line N: ...' comments quoting the user's source")

    p = sub.add_parser("show", help="print the generated code of a function",
                       description="Print the generated source of a function: flat code, forward "
                       "or reverse mode. Each run of statements is preceded by a comment quoting "
                       "the line of your code it comes from.")
    code_options(p)
    p.add_argument("--color", "--colour", choices=("auto", "always", "never"), default="auto",
                   help="colour the code (default: auto, when the output is a terminal)")
    p.set_defaults(run=cmd_show)

    p = sub.add_parser("export", help="write the generated code as a standalone module",
                       description="Write the generated derivative as a Python module that needs "
                       "only NumPy: the helpers it calls and the constants it captured come along.")
    code_options(p)
    p.add_argument("--out", "-o", required=True, metavar="FILE.py", help="the module to write")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("graph", help="draw the circuit diagram of a function at given arguments",
                       description="Draw the flat code of a function evaluated at the given "
                       "arguments as a circuit: one node per operation, each wire labelled with "
                       "its value (green) and its gradient (red). .svg and .png need Graphviz's "
                       "'dot' program; .dot (and printing to stdout) does not.")
    p.add_argument("target", metavar="TARGET", help="PATH.py:FUNC or package.module:FUNC")
    p.add_argument("--at", required=True, metavar="X,Y,...",
                   help="the arguments, as Python literals separated by commas: 2,-1,-3 or "
                   "[1,2],0.5 (a list becomes an array)")
    p.add_argument("--argnums", default="all", metavar="I[,J...]",
                   help="the parameters to differentiate: 0, 0,1 or all (default: all)")
    p.add_argument("--unroll", type=int, default=4, metavar="N",
                   help="draw every iteration of loops of up to N iterations; longer loops show "
                   "their first and last (default: 4)")
    p.add_argument("--out", "-o", metavar="FILE", help="write FILE.svg, FILE.png, FILE.pdf or "
                   "FILE.dot (default: print the DOT text)")
    p.set_defaults(run=cmd_graph)

    p = sub.add_parser("swell", help="expression swell: sympy.diff against the generated code",
                       description="Compare sympy.count_ops of the expression, of sympy.diff and "
                       "of sympy.cse with the operations in adcompile's generated code, with "
                       "timings. Needs sympy (and matplotlib for --plot): "
                       'pip install "adcompile[swell]".')
    p.add_argument("target", metavar="TARGET",
                   help="PATH.py:FUNC (or module:FUNC); with --sweep, a family: nested_sin, "
                   "logistic, product, mlp or all, or PATH.py:FUNC for a function n -> function")
    p.add_argument("--argnums", default=None, metavar="I[,J...]",
                   help="the parameters to differentiate (default: all)")
    p.add_argument("--sweep", metavar="n=A..B", help="measure members A to B of a family")
    p.add_argument("--plot", metavar="OUT.png", help="draw the sweep's operation counts "
                   "against n on a log scale (needs matplotlib)")
    p.add_argument("--markdown", action="store_true", help="print Markdown tables")
    p.add_argument("--no-timing", action="store_true",
                   help="count operations only; skip timing the compiled derivatives")
    p.add_argument("--budget", type=float, default=30.0, metavar="SECONDS",
                   help="stop with an error when sympy takes longer than this on one function "
                   "(a loop unrolls into sympy's expression); 0: no limit (default: 30)")
    p.set_defaults(run=cmd_swell)

    p = sub.add_parser("demo", help="print the lecture example: flat code, forward and reverse "
                       "mode of a sigmoid neuron")
    p.set_defaults(run=cmd_demo)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    for i, a in enumerate(argv[:-1]):  # `--at -2,5,-4`: a value, not an option
        if a == "--at" and argv[i + 1][:1] == "-":
            argv[i:i + 2] = [f"--at={argv[i + 1]}"]
            break
    args = build_parser().parse_args(argv)
    args.argv = argv[1:]
    try:
        return args.run(args)
    except ADCompileError as e:
        print(f"adcompile: error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `adcompile show ... | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
