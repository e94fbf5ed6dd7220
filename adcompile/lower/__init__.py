"""Stage 2: lower a parsed function to SSA flat code, one primitive per statement.

User names survive where the user wrote them (`L = sigmoid(...)` keeps `L`); compiler temporaries
are `s0, s1, ...` in order; a name assigned again gets a fresh version (`x`, then `x_1`). Calls to
the user's own Python functions are inlined. Names read from globals or closures that hold data
become constants of the generated function; modules and functions are resolved here, once.

The lowerer is one class put together from a module per concern: statements (and how a statement
list ends), loops, merging of names after branches and loops, expressions, calls, inlining,
comprehensions, effects (print, assert, raise, isinstance), arguments (*args, **kwargs).
"""
from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..ir import Function, Namer, Return, Var
from ..parse import Parsed, check_parameters, parse
from .arguments import Arguments
from .calls import Calls
from .comprehensions import Comprehensions
from .effects import Effects
from .expressions import Expressions
from .inline import Inlining
from .loops import Loops
from .merging import Merging
from .scan import loaded
from .statements import Statements

__all__ = ["lower", "Lowerer"]


def lower(f) -> Function:
    """Lower the Python function `f` to flat code."""
    parsed = parse(f)
    check_parameters(parsed)
    written = {n.id for n in gast.walk(parsed.node) if isinstance(n, gast.Name)}
    params = [a.id for a in parsed.node.args.args]
    fn = Function(parsed.node.name, params, [], parsed.filename, parsed.lines)
    lowerer = Lowerer(parsed, fn, Namer(written, params), stack=(f.__code__,))
    env = {p: Var(p) for p in params}
    lowerer.block = fn.body
    values, as_tuple = lowerer.returned(lowerer.lower_stmts(parsed.node.body, env, frozenset()),
                                        env, parsed.node)
    line = lowerer.line
    fn.body.append(Return([lowerer.as_atom(v) for v in values], as_tuple, line))
    return fn


class Lowerer(Statements, Loops, Merging, Expressions, Calls, Inlining, Comprehensions,
              Effects, Arguments):
    """Lowers one function body (the differentiated function's, or an inlined one's)."""

    def __init__(self, parsed: Parsed, fn: Function, namer: Namer, stack, call_line=None):
        self.parsed, self.fn, self.namer, self.stack = parsed, fn, namer, stack
        self.call_line = call_line  # inlined code is attributed to the caller's line
        self.line = call_line
        self.env_now = {}
        self.closure_reads = frozenset(loaded(  # names the nested defs and lambdas read
            [n for n in gast.walk(parsed.node) if isinstance(n, (gast.FunctionDef, gast.Lambda))
             and n is not parsed.node]))
        self.carried = []  # per enclosing loop: user name -> the name the loop carries it under
        self.foreign = frozenset()  # names an inlining caller still reads: never reused
        self.outs_tuple = None  # whether the values kept under <out0>, ... form a tuple
        self.copies = {}  # name -> names it was copied from or to (one value, several names)
        self.returns_tuple = False

    def unsupported(self, node, what, hint="rewrite it with supported constructs"):
        return UnsupportedSyntaxError(f"{what} is not supported; {hint}.", *self.parsed.where(node))
