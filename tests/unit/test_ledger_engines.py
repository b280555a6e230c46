"""Where ledger queries run: chdb's folder for the files' view is removed with its session."""

from __future__ import annotations

import gc
import glob
import tempfile
from pathlib import Path

from genai_cost.ledger.engines import FileLedger


def _folders() -> set[str]:
    return set(glob.glob(str(Path(tempfile.gettempdir()) / "genai-cost-ledger-*")))


def test_the_file_ledgers_folder_goes_with_its_session(tmp_path: Path) -> None:
    before = _folders()
    ledger = FileLedger(tmp_path / "*.jsonl")
    [folder] = _folders() - before
    assert ledger.rows("SELECT 1 AS one") == [{"one": 1}]
    del ledger
    gc.collect()
    assert not Path(folder).exists()
