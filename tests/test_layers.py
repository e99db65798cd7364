"""The layering contract (pyproject's import-linter section) holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_import_layers_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
