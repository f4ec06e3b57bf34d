"""Every acknowledged save survives a SIGKILL of the writing process."""

from __future__ import annotations

import random
import signal
import sqlite3
from pathlib import Path

import pytest

from app.paths import AppPaths
from app.storage.db import open_library
from app.storage.sqlite_tools import integrity_problems
from tests.support.storage_options import library_options
from tests.support.storage_writer import DRAFT_SLOT, run_and_kill

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX only")


def check_as_left(database: Path, acked: list[str]) -> None:
    """Look at the files exactly as the killed process left them (read-only)."""
    conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        assert integrity_problems(conn) == []
        titles = {row[0] for row in conn.execute("SELECT title FROM poems")}
    finally:
        conn.close()
    missing = [name for name in acked if name not in titles]
    assert missing == [], f"acknowledged but lost: {missing}"


@pytest.mark.slow
def test_acknowledged_saves_and_drafts_survive_sigkill(tmp_path: Path) -> None:
    rng = random.Random(20240301)
    paths = AppPaths.under(tmp_path)
    all_acked: list[str] = []
    for cycle in range(4):
        prefix = f"c{cycle}"
        acked, drafted = run_and_kill(tmp_path, prefix, rng.uniform(0.05, 0.4))
        check_as_left(paths.database, acked)
        all_acked += acked
        library, report = open_library(paths, library_options(tmp_path))
        try:
            assert report.recovery is None
            titles = {p.title for p in library.search()}
            assert set(all_acked) <= titles
            if drafted:  # the typed-but-unsaved text is there, at least as new as acknowledged
                drafts = [d for d in library.load_drafts() if d.slot == DRAFT_SLOT]
                assert drafts, "an acknowledged draft was lost"
                index = int(drafts[0].poem.text.split("-")[1])
                assert drafts[0].poem.text.startswith(prefix + "-")
                assert index >= int(drafted[-1].split("-")[1])
        finally:
            library.close()
    assert len(all_acked) > 0
