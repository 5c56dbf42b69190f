"""The storage layer's own wording (receipt, export note), from content/receipt.yml."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from storage.consent_texts import CONTENT_DIR

RECEIPT_CONTENT_PATH = CONTENT_DIR / "receipt.yml"


@lru_cache(maxsize=1)
def load_wording() -> dict[str, Any]:
    return yaml.safe_load(RECEIPT_CONTENT_PATH.read_text(encoding="utf-8"))
