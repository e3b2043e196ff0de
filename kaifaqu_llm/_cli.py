"""The ``kaifaqu`` command: a thin layer over the library API.

Each sub-command parses its flags, calls one library function and prints.
Machine-readable output goes to stdout; messages and progress go to stderr.
Exit codes: 0 all good, 1 something failed (a bad file, an article with an
error), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys

from ._exceptions import ConfigError, KaifaquError

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _print_err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- segment ---------------------------------------------------------------

def _add_segment(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("segment", help="cut pages into articles")
    p.add_argument("pages", nargs="+", metavar="PAGE", help="page files (or directories of .txt pages)")
    p.add_argument("--json", action="store_true", help="print one JSON array, one object per page")
    p.set_defaults(func=_cmd_segment)


def _cmd_segment(args: argparse.Namespace) -> int:
    raise ConfigError("segment: not wired yet")


# --- registry of sub-commands ------------------------------------------------

_COMMANDS = [_add_segment]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``kaifaqu`` command."""
    parser = argparse.ArgumentParser(
        prog="kaifaqu",
        description="Evidence-grounded development-zone profiles from OCR'd Chinese newspaper pages.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in _COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``kaifaqu`` command and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        _print_err(f"kaifaqu: {exc}")
        return EXIT_USAGE
    except KaifaquError as exc:
        _print_err(f"kaifaqu: {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _print_err("kaifaqu: interrupted")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
