"""The command line: `python -m adcompile demo`."""
from __future__ import annotations

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="adcompile", description="Automatic differentiation by "
                                     "source transformation: print generated derivative code.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="print the lecture example: flat code, forward and reverse mode")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import main as demo
        demo()
    return 0


if __name__ == "__main__":
    sys.exit(main())
