"""Stage 2: lower a parsed function to SSA flat code, one primitive per statement.

User names survive where the user wrote them (`L = sigmoid(...)` keeps `L`); compiler temporaries
are `s0, s1, ...` in order; a name assigned again gets a fresh version (`x`, then `x_1`). Calls to
the user's own Python functions are inlined. Names read from globals or closures that hold data
become constants of the generated function; modules and functions are resolved here, once.

The lowerer is one class put together from a module per concern: statements (and how a statement
list ends), loops, merging of names after branches and loops, expressions, calls, inlining,
comprehensions, effects (print, assert, raise, isinstance), arguments (*args, **kwargs),
stacks (the tape of a derivative differentiated again).
"""
from __future__ import annotations

import contextlib
import dataclasses

import gast

from ..compile import is_generated
from ..errors import UnsupportedSyntaxError
from ..ir import Assign, Const, Function, Inlined, Namer, Op, Return, Var
from ..parse import Parsed, check_parameters, parse
from ..primitives import BY_OBJECT, OBJECT_OPTIONS, PRIMS, hashable
from ..pytree import leaf_names
from . import changes
from .appends import Appends
from .arguments import Arguments
from .builtins import Builtins
from .calls import Calls
from .comprehensions import Comprehensions
from .containers import Containers, containers_in, output_tree, value_of
from .effects import Effects
from .expressions import Expressions
from .forms import Forms
from .hoist import hoist_checks, hoist_lists
from .inline import Inlining
from .loops import Loops
from .merging import Merging
from .overrides import Overrides
from .scan import Record, uncached, holds_list, holds_record, loaded, local_names, returned_kind, sequence_kinds, stored
from .stacks import Stacks, stack_names
from .statements import Statements
from .structured import Structured
from .targets import Targets

__all__ = ["lower", "Lowerer"]


def lower(f, trees=None, stacks=False) -> Function:
    """Lower the Python function `f` to flat code. `trees` (a pytree.Tree per parameter, from
    the arguments of a call) gives the structure of container arguments: their leaves become the
    parameters, named after their paths (`p["W"]` is `p_W`). `stacks`: f is a derivative
    differentiated again, whose tape stays a stack (stacks.py)."""
    prim = BY_OBJECT.get(f) if hashable(f) else None
    f = f if prim is not None else uncached(f)  # source(f) of @functools.cache: what it wraps
    if prim is not None and PRIMS[prim].kind != "nondiff":  # grad(sigmoid): the rule itself
        return _rule_function(f, prim)
    changes.PARSED.clear()  # (functions parsed for the last lowering's look-aheads)
    parsed = parse(f)
    written = {n.id for n in parsed.nodes if isinstance(n, gast.Name)}
    args = parsed.node.args
    if trees is None:
        check_parameters(parsed)
    names = [a.id for a in args.posonlyargs + args.args] + \
        ([args.vararg.id] if args.vararg else []) + [a.id for a in args.kwonlyargs] + \
        ([args.kwarg.id] if args.kwarg else [])  # (inspect.signature's order)
    params, env, arguments = [], {}, []
    for name, tree in zip(names, trees or [None] * len(names)):
        if tree is None or tree.kind == "leaf":
            params.append(name)
            env[name] = Var(name)
            arguments.append((name, tree, [name]))
            continue
        leaves = []
        for leaf in leaf_names(name, tree):  # (a name the user wrote gets a suffix)
            unique, k = leaf, 0
            while unique in written or unique in params or unique in leaves or unique in names:
                k += 1
                unique = f"{leaf}_{k}"
            leaves.append(unique)
        params += leaves
        env[name] = value_of(tree, iter(leaves))
        arguments.append((name, tree, leaves))
    fn = Function(parsed.node.name, params, [], parsed.filename, parsed.lines)
    fn.arguments = arguments
    lowerer = Lowerer(parsed, fn, Namer(written | set(names), params), stack=(f.__code__,))
    lowerer.block = fn.body
    if stacks:
        lowerer.stacks = stack_names(parsed.node)
        lowerer.sequence_kinds = sequence_kinds(parsed.nodes, lowerer.stacks)
    for name, tree in zip(names, trees or ()):
        lowerer.note_lists(env[name], tree)
        lowerer.argument_parts.update((id(v), v) for v in containers_in(env[name]))
    sequences = [(name, tree.kind) for name, tree in zip(names, trees or ())
                 if tree is not None and tree.kind in ("list", "tuple")]
    rebound = stored(parsed.node.body) if sequences else ()
    for name, kind in sequences:  # a list or tuple argument: its kind is known
        if name not in rebound:
            lowerer.sequence_kinds[name] = kind
    values, as_tuple = lowerer.returned(lowerer.lower_stmts(parsed.node.body, env, frozenset()),
                                        env, parsed.node)
    line = lowerer.line
    listed = as_tuple and returned_kind(parsed.node, lowerer.sequence_kinds) == "list"
    if listed or any(holds_record(v) or holds_list(v, lowerer.is_list) for v in values):
        leaves: list = []  # a list, a dict, a dataclass, ... returned: its leaves, flat
        fn.out_tree = output_tree(tuple(values) if as_tuple else values[0], leaves,
                                  lowerer.is_list)
        if listed:
            fn.out_tree = dataclasses.replace(fn.out_tree, kind="list", cls=list)
        values, as_tuple = leaves, True
    fn.body.append(Return([lowerer.as_atom(v) for v in values], as_tuple, line))
    hoist_lists(fn)
    hoist_checks(fn, lowerer.namer)
    return fn


def _rule_function(f, prim) -> Function:
    """Flat code that applies one primitive to its parameters: `y = sigmoid(x); return y` (its
    result under a name that is not a parameter: `out = x ** y`)."""
    params = [p for p in PRIMS[prim].params if not p.startswith("*")] or ["x"]
    name = getattr(f, "__name__", prim.rpartition(".")[2])
    fn = Function(name, params, [], f"<the rule of {prim}>", {})
    fn.arguments = [(p, None, [p]) for p in params]
    options = tuple((k, Const(v)) for k, v in OBJECT_OPTIONS.get(f, {}).items())  # (SciPy's)
    out = next(n for n in ("y", "out", "result") if n not in params)  # (np.power(x, y))
    fn.body.append(Assign(out, Op(prim, tuple(Var(p) for p in params), options)))
    fn.body.append(Return([Var(out)], False))
    return fn


class Lowerer(Statements, Appends, Loops, Merging, Expressions, Calls, Builtins, Inlining, Containers,
              Comprehensions, Effects, Arguments, Stacks, Forms, Targets, Overrides, Structured):
    """Lowers one function body (the differentiated function's, or an inlined one's)."""

    def __init__(self, parsed: Parsed, fn: Function, namer: Namer, stack, call_line=None):
        self.parsed, self.fn, self.namer, self.stack = parsed, fn, namer, stack
        self.receivers = (None,) * len(stack)  # the object of each method on the stack
        self.call_line = call_line  # inlined code is attributed to the caller's line
        self.line = call_line
        self.env_now = {}
        self.closure_reads = frozenset(loaded(  # names the nested defs and lambdas read
            [n for n in parsed.nodes if isinstance(n, (gast.FunctionDef, gast.Lambda))
             and n is not parsed.node]))
        self.carried = []  # per enclosing loop: user name -> the name the loop carries it under
        self.foreign = frozenset()  # names an inlining caller still reads: never reused
        self.outs_tuple = None  # whether the values kept under <out0>, ... form a tuple
        self.copies = {}  # name -> names it was copied from or to (one value, several names)
        self.held_twice: dict = {}  # list -> (name, line): it holds that name's value twice
        self.put_into: dict = {}  # name -> {container name: line}: where its value may be held
        # too (rows.append(row), h = state["hist"]: Merging.containers_holding)
        self.returns_tuple = False
        self.receiver_after = None  # a method's self after inlining it (Containers)
        self.held = set()  # temporaries an object holds too (a method's updated field): kept
        self.listed = {}  # a real list made of a list known here (to index it) -> that list
        self.passed = frozenset()  # an inlined function's names the caller gets back changed
        self.given: dict = {}  # of those, name -> values the caller holds through it only
        self.holders: dict = {}  # of those, name -> {the caller's other names holding it: value}
        self.repeated: set = set()  # names once bound to a list holding one row twice
        self.repeats_made: list = []  # lists made by repeating one holding lists ([[]] * 2)
        self.items_of: dict = {}  # a loop's name -> the item it is (for b in bs: bs[k])
        self.loop_seqs: dict = {}  # a loop's name changed in place -> (advice, run-time item)
        self.unroll_changed = False  # (Loops.iteration: unroll a loop changing its items)
        self.in_expression = 0  # inside a comprehension, a conditional value or a while test
        self.rest_now = None  # (later, statements, index) of the statement being lowered
        self.suffixes: dict = {}  # id of a statement list -> (it, exposed of each suffix, ...)
        self.bound_at = {}  # user name -> line of the statement that last bound it
        self.stacks = frozenset()  # lists kept as stacks (a tape, in generated code)
        self.sequence_kinds = sequence_kinds(parsed.nodes)  # name -> "list" | "tuple"
        self.lists = {}  # id -> the known sequences that are lists (Expressions.known_list)
        self.indices: set = set()  # the names of loop indices (ints)
        self.own_locals = local_names(parsed.node, parsed.nodes)  # (unbound where env lacks them)
        self.probing = 0  # inside Expressions.probe
        self.checks_unbound = not is_generated(parsed.filename)  # (merging.flag_unbound; the
        # code generated here reads a name only on the paths that bound it)
        self.unbound_values: dict = {}  # user name -> merged names holding it or a placeholder
        self.placeholders: dict = {}  # user name -> names that may hold runtime.UNBOUND
        self.made_names: dict = {}  # Statements.made: names bound to new arrays, to lists
        self.argument_parts: dict = {}  # id -> a container an argument holds (not_shared)
        self.chosen: dict = {}  # id -> (a record merged from two, those two) (not_shared)
        self.once: dict = {}  # id of a target's index -> its value, lowered once (targets.py)

    def note_lists(self, value, tree):
        """Note the lists among an argument's known sequences (its structure `tree`)."""
        if tree is None or type(value) not in (tuple, Record):
            return
        children = value.values if type(value) is Record else value
        for child, sub in zip(children, tree.children):
            self.note_lists(child, sub)
        if tree.kind == "list" and type(value) is tuple and value:
            self.lists[id(value)] = value

    @contextlib.contextmanager
    def inside_expression(self):
        """Lowering a comprehension, `a if t else b`, `and`/`or` or a while test: code that runs
        on some paths or some number of times, where a call may not change its arguments."""
        self.in_expression += 1
        try:
            yield
        finally:
            self.in_expression -= 1

    def unsupported(self, node, what, hint="rewrite it with supported constructs"):
        return UnsupportedSyntaxError(f"{what} is not supported; {hint}.", *self.parsed.where(node))

    def here(self, lineno):
        """The line of statements lowered from line `lineno`: inlined, the caller's, with the
        helper's own place for errors (ir.Inlined)."""
        if self.call_line is None:
            return lineno
        return Inlined(self.call_line, (self.parsed.filename, lineno))

    def not_an_array(self, node, what, hint, fields=True):
        """An attribute or method of a value lowered as an array: right for a container argument
        (a dict, dataclass, object), which the derivative compiled at the first call will know
        (the error is then raised only if the argument is an array after all). `fields`: the
        hint says how fields are read (not where the construct has nothing to do with them)."""
        error = self.unsupported(node, what, f"{hint}. An object, dataclass, namedtuple or dict "
                                 "has its fields read directly, as an argument, a global or "
                                 "one built in the function" if fields else hint)
        error.maybe_container = True
        return error
