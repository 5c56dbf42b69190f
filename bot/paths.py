"""Where the repository's files are, independent of the working directory."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
MODELS = ROOT / "models"
VAR = ROOT / "var"
