"""The ``shijian`` command.

``shijian`` alone starts the desktop app. Subcommands work without a window:

* ``shijian check [TEXT | FILE | -]`` — check a poem (human view or ``--json``)
* ``shijian score FILE.jsonl`` — the four scores over a collection, by form
* ``shijian rhyme 字`` — every reading of a character and its group's characters
* ``shijian build-model ENTRY_ID`` (or ``--from-dir FOLDER``) — make a GGUF here from
  a model's original weights (exit 1: a build stage failed, 130: paused)
* ``shijian ci [TEXT | FILE | -]`` — check a 词 against the 词谱 (``--tune``, ``--form``)
* ``shijian build-cipu FOLDER`` — build the 词谱 from the text of 《御定詞譜》

Exit status: 0 success (for ``check``: no rule errors), 1 ``check`` found rule
errors, 2 bad input (a clear message on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from app import __version__
from app.cli.common import CliError, configure_stdio
from app.prosody.rhymebook import RhymeBookError


class _Parser(argparse.ArgumentParser):
    """Bad arguments end like any other bad input: one line, exit status 2 (argparse
    would print the whole usage block first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (--help: 用法 / usage)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="shijian",
        description="诗笺 Shijian — 近体诗写作室 / a studio for classical Chinese regulated verse",
    )
    parser.add_argument("--version", action="version", version=f"shijian {__version__}")
    parser.add_argument(
        "--basedir",
        help="keep all data, settings and models under this folder (also $SHIJIAN_BASEDIR)",
    )
    parser.add_argument("--lang", choices=("zh", "en"), default=None, help="language / 语言")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the window offscreen, check a poem, use a temporary database, report, exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    from app.cli import build, check, ci, rhyme, score

    check.add_parser(sub)
    ci.add_parsers(sub)
    score.add_parser(sub)
    rhyme.add_parser(sub)
    build.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    configure_stdio()
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        if args.command is None:
            from app.ui.launch import launch

            return launch(basedir=args.basedir, lang=args.lang, self_test=args.self_test)
        if sys.stdout is None:  # started with `>&-`: a report would go nowhere
            raise CliError("标准输出已关闭 / standard output is closed")
        handler = args.handler
        result: int = handler(args)
        return result
    except CliError as exc:
        _say(f"shijian: {exc}")
        return 2
    except RhymeBookError as exc:
        _say(
            f"shijian: 韵书数据缺失或损坏，请重新安装 / the bundled rhyme data is missing or "
            f"damaged, please reinstall ({exc})"
        )
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): what it wanted, it has
        _drop_stdout()
        return 0
    except OSError as exc:
        # Every read of the input turns its OSError into a CliError where it happens, so
        # what reaches here is the output failing: a full disk, /dev/full, an I/O error.
        _drop_stdout()
        _say(f"shijian: 无法写出结果 / cannot write the output: {exc.strerror or exc}")
        return 2


def _say(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr itself closed or full
        print(line, file=sys.stderr)


def _drop_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush of what could
    not be written does not print a second error as it exits."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
