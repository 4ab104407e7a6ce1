"""Where infercost keeps caches: $INFERCOST_CACHE, else ~/.cache/infercost.

Core layer (paths).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    base = Path(os.environ.get("INFERCOST_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                / "infercost")
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
