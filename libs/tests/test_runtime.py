"""Freezing a process's start-up heap (marketplace_libs.runtime; decisions 38 and 93)."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import gc
from marketplace_libs.runtime import freeze_heap
loaded = [object() for _ in range(1000)]
print(gc.get_freeze_count(), freeze_heap(), gc.get_freeze_count())
"""


def _run(**env: str) -> list[int]:
    result = subprocess.run([sys.executable, "-c", SCRIPT], env={**os.environ, **env},
                            capture_output=True, text=True, check=True)
    return [int(value) for value in result.stdout.split()]


def test_freeze_heap_moves_what_is_loaded_out_of_the_collectors_way():
    before, reported, after = _run(MARKETPLACE_GC_FREEZE="1")
    assert before == 0
    assert after == reported > 1000  # the thousand objects and everything imported before them


def test_marketplace_gc_freeze_0_leaves_the_collector_alone():
    assert _run(MARKETPLACE_GC_FREEZE="0") == [0, 0, 0]
