"""``wftui``: the app by default, headless subcommands for scripts.

Errors are one line on stderr (``wftui: error: ...``) and a non-zero exit; ``--debug`` adds
the traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

from wftui.cli.commands import dispatch
from wftui.cli.costs import run_budget
from wftui.cli.errors import EXIT_USAGE, CliError, user_errors, user_message
from wftui.cli.parser import build_parser, normalise

__all__ = ["CliError", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(normalise(sys.argv[1:] if argv is None else argv))
    try:
        with run_budget(args):
            return dispatch(args)
    except BrokenPipeError:
        # The reader went away (``wftui run | head``): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("wftui: interrupted; the last checkpoint is resumable", file=sys.stderr)
        return 130
    except Exception as error:
        if getattr(args, "debug", False):
            traceback.print_exc()
        if isinstance(error, user_errors()):
            print(f"wftui: error: {user_message(error)}", file=sys.stderr)
            return EXIT_USAGE
        if isinstance(error, OSError):  # the disk or the folder, not a bug: say which file
            where = f"{error.filename}: " if error.filename else ""
            print(f"wftui: error: {where}{error.strerror or error}", file=sys.stderr)
            return EXIT_USAGE
        print(f"wftui: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        print("run again with --debug for the traceback", file=sys.stderr)
        return EXIT_USAGE
