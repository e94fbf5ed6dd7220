"""Errors adcompile raises. Each message names the user's file and line and says what to do."""


class ADCompileError(Exception):
    """Base class of every error adcompile raises about the user's code or arguments."""

    def __init__(self, message, filename=None, line=None):
        self.filename, self.line = filename, line
        where = f"{filename}:{line}: " if filename and line else (f"{filename}: " if filename else "")
        super().__init__(where + message)


class UnsupportedSyntaxError(ADCompileError):
    """The function uses a construct adcompile does not differentiate."""


class NoDerivativeError(ADCompileError):
    """A call to a function with no derivative rule and no Python source to differentiate."""


class SourceUnavailableError(ADCompileError):
    """The function's source code cannot be read (defined in a REPL, a C extension, ...)."""


class ArgumentError(ADCompileError, ValueError):
    """Bad arguments to an adcompile API (argnums out of range, a non-scalar output for grad, ...)."""
