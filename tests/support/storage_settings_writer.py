"""A process that saves settings in a loop, for crash tests that kill it with SIGKILL.

Run as ``python -m tests.support.storage_settings_writer PATH``. Save number i
writes ``data_dir = "run-i-xxx…"`` (a length that varies with i) and a window
state blob that spells i, then prints ``ack i``. A file torn by the kill would
show as JSON that does not parse, or as the two fields disagreeing about i.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from app.settings import Settings, SettingsStore, encode_blob


def settings_for(index: int) -> Settings:
    return dataclasses.replace(
        Settings(),
        data_dir=f"run-{index}-" + "x" * (index * 37 % 3000),
        window_state=encode_blob(f"{index};".encode() * (1 + index % 40)),
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    store = SettingsStore(Path(args[0]))
    store.load()
    print("ready", flush=True)
    index = 0
    while True:
        store.save(settings_for(index))
        print(f"ack {index}", flush=True)
        index += 1


if __name__ == "__main__":
    sys.exit(main())
