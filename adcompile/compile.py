"""Stage: source text -> function object, registered in `linecache` so that tracebacks, pdb and
`inspect.getsource` show the generated code.

The text compiled is the printed source with, on each statement's line, a comment naming the
user's file and line it came from (`s3 = X @ w  # model.py:12`), so an error raised while a
derivative runs points at the user's code; `source(df)` keeps the plain text, line for line the
same. The text is also written to a file named after its hash in a private folder under the
temporary directory and compiled under that file name: Python 3.10 to 3.12 print an uncaught
exception's source lines by reading the file itself, never `linecache`, so a traceback of
`python script.py` shows a generated line only if it is on disk. If the folder cannot be used,
the file name is `<adcompile NAME HASH>` and only `linecache` holds the text. Comments cost
nothing at run time: the bytecode is the same.
"""
from __future__ import annotations

import hashlib
import linecache
import os
import re
import tempfile

from .ir import Function
from .primitives import NAMESPACE
from .unparse import aliases, to_sources

GENERATED = "<adcompile "       # the file name of generated code that is in linecache only
_PLACE = re.compile(r"  # (\S+:\d+)$")  # the place a line of generated code names


def compile_function(fn: Function):
    """Print `fn` and compile it: (its plain source, the function it defines)."""
    src, text = located_source(fn)
    return src, compile_text(text, fn.name, fn.constants)


def located_source(fn: Function) -> tuple[str, str]:
    """The plain source of `fn` and the text compiled: the same lines, each statement's ending
    with a comment naming its place in the user's code. Printed once."""
    return to_sources(fn, _locate(fn))


def compile_text(text: str, name: str, constants: dict):
    """Compile generated text defining the function `name`, which reads `constants`."""
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    filename = _write(f"{name}-{digest}.py", text) or f"{GENERATED}{name} {digest}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = dict(NAMESPACE)
    namespace.update(constants)
    aliases(text, namespace)
    exec(compile(text, filename, "exec"), namespace)
    return namespace[name]


def users_place(filename: str, line: int | None) -> tuple[str, int, str] | None:
    """For line `line` of a file adcompile generated: the place in the user's code it was made
    from (`model.py`, 12) and the generated code on it; None for any other file."""
    if not filename or not line or not is_generated(filename):
        return None
    text = linecache.getline(filename, line).rstrip("\n")
    found = _PLACE.search(text)
    if found is None:
        return None
    name, _, number = found.group(1).rpartition(":")
    return name, int(number), text[:found.start()].strip()


def is_generated(filename: str) -> bool:
    return filename.startswith(GENERATED) or os.path.dirname(filename) == _folder()


def _locate(fn):
    """From a line of the code `fn` was made from to its place in the user's code, or None."""
    if is_generated(fn.filename):  # derivative code differentiated again: keep the user's place
        lines = fn.source_lines

        def locate(line):
            found = _PLACE.search(lines.get(line, ""))
            return found.group(1) if found else None
        return locate
    name = os.path.basename(fn.filename) or fn.filename

    def locate(line):  # (a line inlined from a helper: the helper's own, ir.Inlined)
        place = getattr(line, "place", None)
        if place is not None and os.path.dirname(os.path.abspath(place[0])) == _OWN:
            place = None  # (a stand-in of adcompile's, statistics.mean: the user's call)
        if place is not None:  # (of derivative code called there, grad(inner)(x): the user's
            found = users_place(*place)  # line it was made from)
            return f"{found[0]}:{found[1]}" if found else \
                f"{os.path.basename(place[0])}:{place[1]}"
        return f"{name}:{line}" if line is not None else None
    return locate


_OWN = os.path.dirname(os.path.abspath(__file__))  # adcompile's own modules (standins.py)
_FOLDER: list[str] = []


def _folder():
    """The private folder generated files go to ('' if there is none), made once."""
    if not _FOLDER:
        folder = os.path.join(tempfile.gettempdir(), f"adcompile-{_user()}")
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            st = os.stat(folder)
            private = not hasattr(os, "getuid") or (st.st_uid == os.getuid()
                                                    and not st.st_mode & 0o022)
        except OSError:
            private = False
        _FOLDER.append(folder if private else "")
    return _FOLDER[0]


def _user():
    if hasattr(os, "getuid"):
        return str(os.getuid())
    return re.sub(r"\W", "_", os.environ.get("USERNAME", "user"))


def _write(name, text):
    """The path of a file in the private folder holding `text` (named by its hash, so a file of
    that name already holds it), or None if it cannot be written."""
    folder = _folder()
    if not folder:
        return None
    path = os.path.join(folder, name)
    if os.path.exists(path):
        return path
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)  # atomic: another process may write the same file
    except OSError:
        return None
    return path
