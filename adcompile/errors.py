"""Errors adcompile raises. Each message names the user's file and line and says what to do.

They reach the user without adcompile's own frames in front: the public entry points (`grad`,
`jvp`, `jacfwd`, ...) catch `ADCompileError` and re-raise it through `trimmed`, so a traceback
shows the user's frames, then at most the one entry point that raised it, then the message.
"""
import functools
import os
import types


STAND_INS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "standins.py")


class ADCompileError(Exception):
    """Base class of every error adcompile raises about the user's code or arguments."""
    # True where arguments of another structure (a dict, an object) may make the code right:
    # grad then waits for the first call to compile (boundary.py)
    maybe_container = False

    def __init__(self, message, filename=None, line=None):
        if getattr(line, "place", None) is not None and \
                line.place[0] != STAND_INS_FILE:  # in an inlined helper: its own place
            filename, line = line.place         # (ir.Inlined; a stand-in's: the user's call)
        line = int(line) if line is not None else None
        self.message, self.filename, self.line = message, filename, line
        where = f"{filename}:{line}: " if filename and line else \
            (f"{filename}: " if filename else "")
        super().__init__(where + message)


class UnsupportedSyntaxError(ADCompileError):
    """The function uses a construct adcompile does not differentiate."""


class StaleSourceError(ADCompileError):
    """The function's file was edited after it was imported: the text adcompile would read is
    not the code that runs."""


class NoDerivativeError(ADCompileError):
    """A call to a function with no derivative rule and no Python source to differentiate."""


class OutsideRuleError(NoDerivativeError, NotImplementedError):
    """A derivative rule that holds for some values only (np.gradient with array spacings, eigh
    at a repeated eigenvalue), met by derivative code at run time: raised at the user's line."""


class InfiniteSlopeError(OutsideRuleError, ZeroDivisionError):
    """x ** 0.5 differentiated at x == 0 in Python floats, with a tangent that is not 0: its
    slope is infinite (0.0 ** -0.5, which Python refuses), raised at the user's line."""


class SourceUnavailableError(ADCompileError):
    """The function's source code cannot be read (defined in a REPL, a C extension, ...)."""


class ArgumentError(ADCompileError, ValueError):
    """Bad arguments to an adcompile API (argnums out of range, a non-scalar output for grad,
    ...)."""


PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def trimmed(err: BaseException) -> BaseException:
    """`err` with the traceback entries of adcompile's own modules taken out, so that what is left
    is the user's code (a function of theirs that adcompile called, a module it imported).
    An entry point re-raises it with `raise trimmed(e)`, which adds the entry point's own frame.
    An error placed in derivative code differentiated again is moved to the user's line."""
    if isinstance(err, ADCompileError):
        _to_the_users_line(err)
    kept, tb = [], err.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(PACKAGE):
            kept.append(tb)
        tb = tb.tb_next
    for a, b in zip(kept, kept[1:] + [None]):
        a.tb_next = b
    return err.with_traceback(kept[0] if kept else None)


def at_generated_caller(err: ADCompileError) -> ADCompileError:
    """`err`, raised by a check that generated code calls at run time (grad of a non-scalar
    output, an integer argument), placed at the user's line that generated line was made from;
    where the code was made from no line of theirs (`hessian(np.sin)`, a primitive passed as the
    function), at their line that called the derivative."""
    import sys
    from .compile import is_generated, users_place
    frame: types.FrameType | None = sys._getframe(1)
    caller = None
    while frame is not None and err.filename is None:
        name = frame.f_code.co_filename
        found = users_place(name, frame.f_lineno)
        if found is not None:
            _place(err, found[0], found[1])
        elif caller is None and not name.startswith(PACKAGE) and not is_generated(name):
            caller = frame
        frame = frame.f_back
    return at_frame(err, caller) if err.filename is None and caller is not None else err


def at_frame(err: ADCompileError, frame: types.FrameType) -> ADCompileError:
    """`err`, about the arguments of a call to adcompile (defvjp's rules), placed at the line of
    the caller's `frame` that made the call, unless it already has a place."""
    if err.filename is None:
        err.filename, err.line = frame.f_code.co_filename, frame.f_lineno
        err.args = (f"{err.filename}:{err.line}: {err.message}",)
    return err


def _place(err, name, line):
    """Put `err` at line `line` of the user's file whose base name is `name`."""
    import linecache
    from .compile import is_generated
    paths = {p for p in linecache.cache if os.path.basename(p) == name and
             not p.startswith("<") and not is_generated(p)}
    err.filename, err.line = (paths.pop() if len(paths) == 1 else name), line
    err.args = (f"{err.filename}:{line}: {err.message}",)


def _to_the_users_line(err):
    """Place `err`, raised about a line of generated code (a derivative differentiated again),
    at the line of the user's code that line was made from, quoting the generated line."""
    from .compile import users_place  # (compile.py knows generated files)
    found = users_place(err.filename, err.line)
    if found is None:
        return
    name, line, code = found
    if not getattr(err, "of_the_function", False):  # (about a line: the code made from it)
        err.message = f"{err.message.rstrip('.')} (in `{code}`, the derivative of this line, " \
            "differentiated again)."
    _place(err, name, line)


def public(entry):
    """Decorate a public entry point (not generated code: that runs unwrapped) so that an
    ADCompileError leaves it through `trimmed`."""
    @functools.wraps(entry)
    def public_entry(*args, **kwargs):
        try:
            return entry(*args, **kwargs)
        except ADCompileError as e:
            raise trimmed(e)
    return public_entry


class ComplexOutputError(ArgumentError, TypeError):
    """grad of a function with a complex output: grad needs a real one (a TypeError, as in JAX)."""
