"""The bundle's entry point: the ``shijian`` command, frozen by PyInstaller.

A bundle has no separate Python interpreter, yet the app starts Python modules as
processes of their own — above all the inference engine, which runs as
``sys.executable -m app.engine.worker`` so that a llama.cpp abort cannot take the
window down. Inside a bundle ``sys.executable`` is this program, so it answers
``-m MODULE`` for the app's own runnable modules, as ``python -m`` would:

* ``shijian -m app.engine.worker`` — the engine process;
* ``shijian -m app.models.build.child`` — llama.cpp's quantizer and the verifying load
  of a model built on this computer;
* ``shijian -m app …`` — the same as ``shijian …`` (tests start the app this way);
* anything else — the ``shijian`` command line (``--self-test``, ``check`` …).
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def _engine_worker() -> int:
    from app.engine.worker import main

    return main()


def _build_child() -> int:
    from app.models.build.child import main

    return main()


def _cli() -> int:
    from app.cli import main

    return main()


RUNNABLE: dict[str, Callable[[], int]] = {
    "app.engine.worker": _engine_worker,
    "app.models.build.child": _build_child,
    "app": _cli,
}


def main() -> int:
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "-m":
        runner = RUNNABLE.get(args[1])
        if runner is None:
            print(f"shijian: no runnable module {args[1]!r} in this bundle", file=sys.stderr)
            return 2
        sys.argv = [sys.argv[0], *args[2:]]
        return runner()
    return _cli()


if __name__ == "__main__":
    raise SystemExit(main())
