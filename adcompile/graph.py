"""Circuit diagrams: a function's flat code evaluated at given arguments, drawn as the lecture
draws backprop. One node per primitive (`*`, `+`, `max`, `sigmoid`), each wire labelled with the
value computed forward (green) and, under it, the gradient computed backward (red).

    d = adcompile.graph(neuron, 2.0, -1.0, -3.0, -2.0, -3.0)
    d.save("neuron.svg")        # or .png (both need Graphviz's `dot`), or .dot (plain text)
    d                            # in Jupyter: displays itself

A tool on top of the public pipeline, not part of the compiler: it evaluates the flat code of
`adcompile.api.build(f, "flat")` statement by statement (each statement is one primitive, printed
and evaluated as Python), records what ran (loops unrolled, the branch taken), and gets every
wire's gradient by differentiating that record with `grad`: each drawn value gets a zero added
to it, and the gradient with respect to that zero is the value's adjoint. A loop is a box with its
trip count; past `unroll` iterations only the first and the last are drawn.
"""
from __future__ import annotations

import html
import math
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .errors import ADCompileError, ArgumentError, public
from .ir import Assign, Break, Const, For, Function, If, Op, Return, Var, While, substitute
from .primitives import NAMESPACE, PRIMS
from .unparse import expr_source

VALUE_COLOUR, GRAD_COLOUR = "#2e7d32", "#c62828"
MAX_STATEMENTS = 20000  # evaluated before graph gives up (a diagram of more is unreadable)


class GraphvizMissingError(ADCompileError):
    """SVG or PNG asked for, but Graphviz's `dot` program is not installed."""


# --- what was evaluated ----------------------------------------------------------------------
@dataclass(eq=False)
class Node:
    kind: str                # input | global | op | branch | output | more
    label: str
    group: "Group"
    name: str = ""           # the wire's name in flat code (s0, L, x)
    value: Any = None
    grad: Any = None
    op: Any = None           # the Op with operands renamed to traced names
    inputs: list = field(default_factory=list)  # nodes wired in, in operand order
    active: bool = False     # depends on a differentiated argument
    key: str = ""            # the traced name: n0, n1, ...
    wire_grads: dict = field(default_factory=dict)  # input's key -> what this node sends back


@dataclass(eq=False)
class Group:
    label: str
    parent: "Group | None" = None
    items: list = field(default_factory=list)   # Nodes and Groups, in order
    loop: bool = False                           # a loop's box: its items are iteration groups
    hidden: bool = False                         # an iteration not drawn
    more: "Node | None" = None                   # a loop's '... k more iterations' node
    key: str = ""                                # cluster_0, cluster_1, ... in drawing order


class _Break(Exception):
    pass


class _Return(Exception):
    def __init__(self, values):
        self.values = values


_LITERAL = (int, float, bool, str, type(None), complex)


def _literal(v):
    return type(v) in _LITERAL or type(v) in (tuple, slice) and all(
        _literal(x) for x in ((v.start, v.stop, v.step) if type(v) is slice else v))


def _floating(v):
    """A value a gradient is drawn for: a real float or an array of them."""
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (float, np.floating)):
        return True
    return isinstance(v, np.ndarray) and v.dtype.kind == "f"


def _frozen(v):
    """A value whose derivative is zero whatever it came from (an int, a flag, a shape)."""
    if isinstance(v, (bool, int, str, type(None), np.bool_, np.integer)):
        return True
    return isinstance(v, np.ndarray) and v.dtype.kind in "biu"


class _Tracer:
    """Evaluates flat code statement by statement, recording a node per primitive."""

    def __init__(self, fn: Function, args, active_params):
        self.fn = fn
        self.globals = dict(NAMESPACE)
        self.globals.update(fn.constants)
        self.env: dict = {}       # flat name -> value
        self.wire: dict = {}      # flat name -> the Node that produced it (absent: none)
        self.nodes: list = []
        self.root = Group(f"{fn.name}")
        self.codes: dict = {}
        self.count = 0
        for name, value in zip(fn.params, args):
            node = self.add(Node("input", name, self.root, name=name, value=value,
                                 active=name in active_params and _floating(value)))
            self.env[name], self.wire[name] = value, node

    def add(self, node):
        node.key = f"n{len(self.nodes)}"
        self.nodes.append(node)
        node.group.items.append(node)
        return node

    def run(self):
        try:
            self.block(self.fn.body, self.root)
        except _Return as r:
            return r.values
        return []

    def read(self, atom):
        if type(atom) is Const:
            return atom.value
        if atom.name in self.env:
            return self.env[atom.name]
        return self.globals[atom.name]

    def source_of(self, atom, group):
        """The node wired into an operand: what computed it, or a node for a global array."""
        if type(atom) is not Var:
            return None
        if atom.name in self.wire:
            return self.wire[atom.name]
        if atom.name in self.env or atom.name not in self.fn.constants:
            return None  # a loop counter or a constant assigned in the code
        value = self.fn.constants[atom.name]
        if callable(value) or type(value).__name__ == "module":
            return None
        node = self.add(Node("global", atom.name, self.root, name=atom.name, value=value))
        self.wire[atom.name] = node
        return node

    def evaluate(self, stmt, expr):
        code = self.codes.get(id(expr))
        if code is None:
            code = self.codes[id(expr)] = compile(expr_source(expr), "<graph>", "eval")
        try:
            return eval(code, self.globals, dict(self.env))
        except Exception as e:
            self.failed(stmt, e)

    def failed(self, stmt, e):
        line = getattr(stmt, "line", None)
        text = self.fn.source_lines.get(line, "").strip()
        raise ArgumentError(f"graph: {text or self.fn.name} raised {type(e).__name__} ({e}) at "
                            "these arguments (a loop count or an index must be an integer; on "
                            "the command line, leave its parameter out of --argnums so it stays "
                            "one)", self.fn.filename, line) from None

    def block(self, stmts, group):
        for s in stmts:
            self.count += 1
            if self.count > MAX_STATEMENTS:
                raise ArgumentError(f"graph evaluated {MAX_STATEMENTS} statements of "
                                    f"{self.fn.name} without reaching its end: draw it at "
                                    "arguments that make its loops shorter",
                                    self.fn.filename, getattr(s, "line", None))
            t = type(s)
            if t is Assign:
                self.assign(s, group)
            elif t is If:
                self.branch(s, group)
            elif t is For:
                values = [self.read(b) for b in s.bounds]
                try:
                    seq = range(*values)
                    if s.count is not None:
                        seq = seq[:self.read(s.count)]
                except TypeError as e:
                    self.failed(s, e)
                self.loop(s, group, reversed(seq) if s.reverse else seq)
            elif t is While:
                self.loop(s, group, None)
            elif t is Break:
                raise _Break()
            elif t is Return:
                raise _Return([(v, self.read(v) if type(v) is not Op else self.evaluate(s, v))
                               for v in s.values])

    def assign(self, s, group):
        if type(s.value) in (Var, Const):  # a copy: the same wire under another name
            value = self.read(s.value)
            node = self.source_of(s.value, group)
            self.bind(s.target, value, node)
            return
        value = self.evaluate(s, s.value)
        wired = [self.source_of(a, group) for a in s.value.args]
        wired += [self.source_of(v, group) for _, v in s.value.kwargs]
        inputs = [n for n in wired if n is not None]
        name = s.target if type(s.target) is str else ""
        node = self.add(Node("op", _gate(s.value, self), group, name=name or "", value=value,
                             op=s.value, inputs=inputs,
                             active=any(n.active for n in inputs) and not _frozen(value)))
        node.renamed = {a.name: self.wire.get(a.name) for a in _atoms(s.value)}
        node.fixed = {a.name: self.read(a) for a in _atoms(s.value)
                      if a.name not in self.wire or self.wire[a.name] is None}
        if type(s.target) is tuple:  # unpacking: one `[k]` gate per target
            for k, t in enumerate(s.target):
                part = self.add(Node("op", f"[{k}]", group, name=t, value=value[k],
                                     op=Op("getitem", (Var(node.key), Const(k))), inputs=[node],
                                     active=node.active and not _frozen(value[k])))
                part.renamed, part.fixed = {}, {}
                self.env[t], self.wire[t] = value[k], part
        elif s.target is not None:
            self.bind(s.target, value, node)

    def bind(self, target, value, node):
        self.env[target] = value
        if node is None:
            self.wire.pop(target, None)
        else:
            self.wire[target] = node

    def branch(self, s, group):
        test = self.read(s.test)
        taken = bool(test)
        line = self.fn.source_lines.get(s.line, "").strip() or f"if {expr_source(s.test)}:"
        side = "the if-branch" if taken else "the else-branch"
        box = Group(f"{line}  took {side}", group)
        group.items.append(box)
        source = self.source_of(s.test, group) if type(s.test) is Var else None
        self.add(Node("branch", f"{_fmt(test)}: {side}", box,
                      inputs=[source] if source is not None else []))
        self.block(s.body if taken else s.orelse, box)

    def loop(self, s, group, seq):
        line = self.fn.source_lines.get(s.line, "").strip()
        box = Group(line or ("for ..." if seq is not None else "while ..."), group, loop=True)
        group.items.append(box)
        trips = 0
        try:
            if seq is not None:
                for i in seq:
                    self.env[s.target] = i
                    self.wire.pop(s.target, None)
                    it = Group(f"{s.target} = {i}", box)
                    box.items.append(it)
                    trips += 1
                    try:
                        self.block(s.body, it)
                    except _Break:
                        break
            else:
                while self.read(s.test):
                    trips += 1
                    it = Group(f"iteration {trips}", box)
                    box.items.append(it)
                    try:
                        self.block(s.body, it)
                    except _Break:
                        break
        finally:
            box.label += f"  {trips} iteration{'s' if trips != 1 else ''}"


def _atoms(expr):
    out = []
    for a in list(expr.args) + [v for _, v in expr.kwargs]:
        if type(a) is Var:
            out.append(a)
        elif type(a) is Op:
            out.extend(_atoms(a))
    return out


# --- labels ----------------------------------------------------------------------------------
_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%",
            "pow": "**", "matmul": "@", "neg": "-", "pos": "+", "not": "not", "lt": "<",
            "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!=", "is": "is",
            "isnot": "is not", "and": "and", "or": "or", "np.maximum": "max",
            "np.minimum": "min", "list_append": "append", "make_list": "[]", "list_sum": "sum",
            "list_add": "+", "tuple": "tuple", "list": "list"}


def _gate(op, tracer):
    """The lecture's label of a gate: `*`, `+ 1.0`, `max(., 0.0)`, `exp`, `[0]`, `sum(axis=0)`."""
    p = PRIMS[op.prim]
    unwired = [not (type(a) is Var and (a.name in tracer.wire or
                                          tracer.source_of(a, None) is not None))
               for a in op.args]

    def show(a):
        return _short(expr_source(a) if type(a) is Const else
                      f"{a.name}={_fmt(tracer.read(a))}" if type(a) is Var else "...")

    symbol = _SYMBOLS.get(op.prim) or op.prim.split(".")[-1]
    if p.form == "getitem":
        return f"[{_short(expr_source(op.args[1]))}]" if unwired[1] else "[.]"
    if p.form == "attr":
        return f".{op.prim}"
    if p.form == "field":
        return f".{op.args[1].value}"
    if p.form in ("binop", "compare", "boolop") and len(op.args) == 2:
        left = show(op.args[0]) + " " if unwired[0] else ""
        right = " " + show(op.args[1]) if unwired[1] else ""
        return f"{left}{symbol}{right}"
    if p.form == "unop":
        return symbol
    parts = [show(a) if u else "." for a, u in zip(op.args, unwired)]
    parts += [f"{k}={_short(expr_source(v))}" for k, v in op.kwargs
              if not (type(v) is Const and k in p.options and v.value == p.options[k])]
    if any(u for u in unwired) or len(parts) > len(op.args):
        return f"{symbol}({', '.join(parts)})"
    return symbol


def _short(text, width=16):
    return text if len(text) <= width else text[:width - 3] + "..."


def _num(v):
    v = complex(v) if isinstance(v, (complex, np.complexfloating)) else float(v)
    if isinstance(v, complex):
        return f"{v:.2g}"
    if v == 0 or not math.isfinite(v) or 0.01 <= abs(v) < 1e5:
        return f"{v:.2f}"
    return f"{v:.2e}"


def _fmt(v):
    """A value in a dozen characters: 3.00, True, [1.00, 2.00], (3, 4) in [-1.20, 3.40]."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, complex, np.floating, np.complexfloating)):
        return _num(v)
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return _fmt(v[()])
        if v.ndim == 1 and v.size <= 3 and v.dtype.kind in "biufc":
            return "[" + ", ".join(_fmt(x) for x in v) + "]"
        shape = "x".join(str(n) for n in v.shape)
        if v.size and v.dtype.kind in "biuf":
            return f"{shape} in [{_num(np.min(v))}, {_num(np.max(v))}]"
        return f"array {shape}"
    if isinstance(v, (list, tuple)):
        if len(v) <= 3 and all(isinstance(x, (int, float, np.number)) for x in v):
            inner = ", ".join(_fmt(x) for x in v)
            return f"[{inner}]" if isinstance(v, list) else f"({inner})"
        return f"{type(v).__name__} of {len(v)}"
    return type(v).__name__


def _exact(v):
    """The full value for a tooltip (and for tests that read the DOT text)."""
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return _fmt(v)


# --- gradients -------------------------------------------------------------------------------
def _gradients(tracer, nodes, out_value, out_node):
    """Every drawn value's adjoint: the record of what ran as straight-line code with a zero
    added to each drawn value, differentiated by `grad` with respect to those zeros. A value
    read by several operations also gets a zero at each reading, so each of its wires carries
    what that operation sends back (the lecture's "copy adds": the wires' gradients sum to the
    value's)."""
    from .api import grad
    from .compile import compile_text

    if out_node is None or not out_node.active:
        return
    wanted = [n for n in nodes if n.active and _floating(n.value)]
    inputs = [n for n in tracer.nodes if n.kind == "input" and n.active]
    params, frozen, lines = [], {}, []

    def name_of(node):
        return node.key if node.kind != "input" else f"in_{node.key}"

    def freeze(value):
        if _literal(value):
            return Const(value)
        key = f"c{len(frozen)}"
        frozen[key] = value
        return Var(key)

    eps = {n.key: f"e_{n.key}" for n in wanted if n.kind != "input"}
    readers: dict = {}
    for node in tracer.nodes:
        if node.kind == "op":
            for src in set(node.inputs):
                readers[src.key] = readers.get(src.key, 0) + 1
    wires = []  # (reader, value read) pairs with a zero of their own
    for node in tracer.nodes:
        if node.kind != "op":
            continue
        if not node.active:
            continue
        mapping: dict = {}
        for name, src in node.renamed.items():
            if src is None:
                mapping[name] = freeze(node.fixed[name])
            elif src.active:
                mapping[name] = Var(name_of(src))
                if readers.get(src.key, 0) > 1 and _floating(src.value):
                    key = f"w_{node.key}_{src.key}"
                    if key not in eps:
                        eps[key] = key
                        wires.append((node, src))
                    mapping[name] = Op("add", (Var(name_of(src)), Var(key)))
            else:
                mapping[name] = freeze(src.value)
        if node.op.prim == "getitem" and type(node.op.args[0]) is Var and \
                node.op.args[0].name.startswith("n") and not node.renamed:
            text = f"{node.op.args[0].name}[{node.op.args[1].value!r}]"
        else:
            text = expr_source(substitute(node.op, mapping))
        plus = f" + {eps[node.key]}" if node.key in eps else ""
        lines.append(f"    {node.key} = {text}{plus}")
    result = name_of(out_node)
    if not isinstance(out_value, (float, np.floating)):
        result = f"np.sum({result})"
    lines.append(f"    return {result}")
    params = list(frozen) + [name_of(n) for n in inputs] + list(eps.values())
    src = f"def _circuit({', '.join(params)}):\n" + "\n".join(lines) + "\n"
    circuit = compile_text(src, "_circuit", dict(tracer.fn.constants))
    first = len(frozen)
    argnums = tuple(range(first, len(params)))
    if not argnums:
        return
    def zero(v):
        return np.zeros_like(v) if isinstance(v, np.ndarray) else 0.0

    inner = [n for n in wanted if n.kind != "input"]
    values = list(frozen.values()) + [n.value for n in inputs] + \
        [zero(n.value) for n in inner] + [zero(src.value) for _, src in wires]
    grads = grad(circuit, argnums=argnums)(*values)
    for node, g in zip(inputs + inner, grads):
        node.grad = g
    for (reader, src), g in zip(wires, grads[len(inputs) + len(inner):]):
        reader.wire_grads[src.key] = g


# --- the diagram -----------------------------------------------------------------------------
class Diagram:
    """A circuit diagram: `.dot` (Graphviz text), `.svg()`, `.save(path)`, and in Jupyter the
    picture itself. `.value` is the function's value, `.gradients` the gradient of each
    differentiated parameter (by name)."""

    def __init__(self, dot: str, value: Any, gradients: dict):
        self.dot = dot
        self.value = value
        self.gradients = gradients

    def __repr__(self):
        lines = self.dot.count("\n")
        return f"<adcompile.graph.Diagram: {lines} lines of DOT; .save('x.svg'|'x.png'|'x.dot')>"

    def render(self, fmt: str) -> bytes:
        """The diagram drawn by Graphviz's `dot` in format `fmt` (svg, png, pdf)."""
        exe = shutil.which("dot")
        if exe is None:
            raise GraphvizMissingError(
                f"drawing {fmt.upper()} needs the 'dot' program of Graphviz: install it (apt "
                "install graphviz, brew install graphviz, conda install graphviz, or "
                "https://graphviz.org/download/). Without it, save the diagram as .dot text.")
        done = subprocess.run([exe, f"-T{fmt}"], input=self.dot.encode(), capture_output=True,
                              timeout=120)
        if done.returncode != 0:
            raise ADCompileError(f"dot -T{fmt} failed: {done.stderr.decode(errors='replace')}")
        return done.stdout

    def svg(self) -> str:
        return self.render("svg").decode()

    def _repr_svg_(self):
        try:
            return self.svg()
        except GraphvizMissingError:
            return None  # Jupyter falls back to repr()

    def save(self, path: str | os.PathLike) -> str:
        """Write `.dot`/`.gv` text, or `.svg`, `.png` or `.pdf` drawn by Graphviz."""
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        if ext in ("dot", "gv"):
            data = self.dot.encode()
        elif ext in ("svg", "png", "pdf"):
            data = self.render(ext)
        else:
            raise ArgumentError(f"cannot save a diagram as {path!r}: use a name ending in "
                                ".svg, .png, .pdf or .dot")
        with open(path, "wb") as out:
            out.write(data)
        return path


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wire_label(node, show_grad, part=None):
    """The value on a wire and, under it, its gradient: `grad_x = 5.00`, or `grad_x += 2.00`
    for one of several wires `x` feeds (`part`, what that reader sends back)."""
    name = node.name or "value"
    rows = [f'<font color="{VALUE_COLOUR}">{html.escape(name)} = {html.escape(_fmt(node.value))}'
            '</font>']
    grad, sign = (node.grad, "=") if part is None else (part, "+=")
    if show_grad and grad is not None:
        rows.append(f'<font color="{GRAD_COLOUR}">grad_{html.escape(name)} {sign} '
                    f'{html.escape(_fmt(grad))}</font>')
    return "<" + "<br/>".join(rows) + ">"


def _tooltip(node, part=None):
    name = node.name or "value"
    text = f"{name} = {_exact(node.value)}"
    if part is not None:
        text += f"; grad_{name} += {_exact(part)}"
    elif node.grad is not None:
        text += f"; grad_{name} = {_exact(node.grad)}"
    return text


def _to_dot(title, tracer, out_node, unroll):
    # Which iterations are drawn: all of a loop with up to `unroll` trips, else the first and last.
    clusters = []

    def mark(group):
        group.key = f"cluster_{len(clusters)}"
        clusters.append(group)
        if group.loop and len(group.items) > unroll:
            for it in group.items[1:-1]:
                it.hidden = True
            hidden = len(group.items) - 2
            group.more = Node("more", f"... {hidden} more iteration{'s' * (hidden != 1)}",
                              group, key=f"more{len(clusters)}")
            group.items.insert(1, group.more)
        for item in group.items:
            if isinstance(item, Group):
                mark(item)

    mark(tracer.root)

    def shown(node):
        """The node drawn for `node`: itself, or the '... more' node of a loop hiding it."""
        chain, g = [], node.group
        while g is not None:
            chain.append(g)
            g = g.parent
        for g in reversed(chain):
            if g.hidden:
                return g.parent.more
        return node

    lines = ["digraph circuit {", "  rankdir=LR;", "  compound=true;",
             f"  label={_quote(title)}; labelloc=t; fontname=Helvetica;",
             "  node [fontname=Helvetica, fontsize=12];",
             "  edge [fontname=Helvetica, fontsize=10];"]

    def emit(group, depth):
        pad = "  " * depth
        for item in group.items:
            if isinstance(item, Group):
                if item.hidden or not _has_nodes(item):
                    continue
                lines.append(f"{pad}subgraph {item.key} {{")
                style = "rounded" if item.loop else "dashed"
                lines.append(f"{pad}  label={_quote(item.label)}; style={style}; "
                             "color=gray50; fontsize=11;")
                emit(item, depth + 1)
                lines.append(f"{pad}}}")
            else:
                lines.append(f"{pad}{item.key} [{_node_attrs(item)}];")

    emit(tracer.root, 1)
    wires: dict = {}  # one wire per value between hidden iterations and the rest: parts add
    for node in tracer.nodes:
        if node.kind not in ("op", "branch"):
            continue
        head = shown(node)
        for src in node.inputs:
            tail = shown(src)
            if tail is head:
                continue
            key: tuple = (tail.key, head.key, src.key)
            if tail.kind != "more" and head.kind != "more":
                key += (len(wires),)
            # (a reader sending no gradient back, a comparison, shows none)
            show_grad = node.kind != "branch" and node.active
            wires.setdefault(key, (tail, head, src, show_grad, []))[4].append(
                node.wire_grads.get(src.key))
    for tail, head, src, show_grad, parts in wires.values():
        part = None if any(p is None for p in parts) else parts[0] if len(parts) == 1 else \
            sum(parts)
        lines.append(f"  {tail.key} -> {head.key} [label={_wire_label(src, show_grad, part)}, "
                     f"tooltip={_quote(_tooltip(src, part))}];")
    if out_node is not None:
        lines.append(f"  output [label={_quote('output')}, shape=box, style=\"rounded,filled\", "
                     "fillcolor=\"#fff3c4\"];")
        lines.append(f"  {shown(out_node).key} -> output [label={_wire_label(out_node, True)}, "
                     f"tooltip={_quote(_tooltip(out_node))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _has_nodes(group):
    return any(not isinstance(i, Group) or (not i.hidden and _has_nodes(i)) for i in group.items)


def _node_attrs(node):
    if node.kind == "input":
        label = node.label
        if node.grad is not None:  # also on its wires; here for an input no operation reads
            label += f"\n{_fmt(node.value)}\ngrad {_fmt(node.grad)}"
        else:
            label += f"\n{_fmt(node.value)}"
        return (f"label={_quote(label)}, shape=box, style=\"rounded,filled\", "
                f"fillcolor=\"#dbe9f6\", tooltip={_quote(_tooltip(node))}")
    if node.kind == "global":
        return (f"label={_quote(node.label + chr(10) + _fmt(node.value))}, shape=box, "
                "style=\"rounded,dashed\"")
    if node.kind == "branch":
        return f"label={_quote(node.label)}, shape=diamond, fontsize=10"
    if node.kind == "more":
        return f"label={_quote(node.label)}, shape=plaintext, fontcolor=gray40"
    shape = "circle" if len(node.label) <= 3 else "ellipse"
    return f"label={_quote(node.label)}, shape={shape}, tooltip={_quote(node.name)}"


@public
def graph(f, *args: Any, argnums: int | Sequence[int] | None = None,
          unroll: int = 4) -> Diagram:
    """The circuit diagram of `f` at `args`: one node per primitive of its flat code, each wire
    labelled with its value (green) and gradient (red) with respect to the parameters in
    `argnums` (default: every parameter holding a float or float array). Loops of more than
    `unroll` iterations show the first and the last."""
    from .api import build

    fn = build(f, "flat")
    if len(args) != len(fn.params):
        raise ArgumentError(f"graph needs one argument per parameter of {fn.name} "
                            f"({', '.join(fn.params)}), got {len(args)}", fn.filename)
    nums: Sequence[int] = range(len(args))
    if argnums is not None:
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        for i in nums:
            if not isinstance(i, int) or not -len(args) <= i < len(args):
                raise ArgumentError(f"argnums {argnums!r} is out of range for {fn.name} "
                                    f"({', '.join(fn.params)})", fn.filename)
    active = {fn.params[i] for i in nums}
    tracer = _Tracer(fn, args, active)
    returned = tracer.run()
    out_node, out_value = None, None
    if len(returned) == 1:
        atom, out_value = returned[0]
        out_node = tracer.source_of(atom, tracer.root) if type(atom) is Var else None
        if out_node is not None and out_node.value is not out_value:
            out_node = None
    drawn = [n for n in tracer.nodes if n.kind in ("op", "input")]
    _gradients(tracer, drawn, out_value, out_node)
    if out_node is not None and out_node.active and out_node.grad is None:
        out_node.grad = 1.0
    shown = ", ".join(_fmt(a) for a in args)
    summed = "" if isinstance(out_value, (float, np.floating)) else " of np.sum(output)"
    title = (f"{fn.name}({shown}): values forward (green), gradients{summed} backward (red)"
             if out_node is not None and out_node.active else f"{fn.name}({shown})")
    dot = _to_dot(title, tracer, out_node, unroll)
    grads = {n.name: n.grad for n in tracer.nodes if n.kind == "input" and n.active}
    return Diagram(dot, out_value, grads)

