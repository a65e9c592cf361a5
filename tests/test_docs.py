"""The Python examples in the README and docs run as written (from the repository root)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _blocks() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for n, match in enumerate(BLOCK.finditer(doc.read_text(encoding="utf-8"))):
            code = match.group(1)
            if "# doc: no-run" not in code:
                found.append((f"{doc.relative_to(ROOT)}#{n}", code))
    return found


@pytest.mark.parametrize(("where", "code"), _blocks(), ids=[w for w, _ in _blocks()])
def test_python_example_runs(
    where: str, code: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(code, where, "exec"), {"__name__": "__doc_example__"})  # noqa: S102 - our own docs
    printed = capsys.readouterr().out
    expected = [line[2:] for line in code.splitlines() if line.startswith("# ") and " - " in line]
    for line in expected:
        assert line in printed, f"{where}: expected output line missing: {line}"
