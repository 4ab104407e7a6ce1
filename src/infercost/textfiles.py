"""Reading a file the user names (a catalog, results, a plan, a trace): every failure names the file, and the line.

Core layer: imports nothing of infercost but errors.
"""

from __future__ import annotations

from pathlib import Path

from infercost.errors import InfercostError, UsageError


def read_text(path: str | Path, what: str, error: type[InfercostError] = UsageError) -> str:
    """The file's text, or `error` saying what is wrong with it: missing, not a file, unreadable, not UTF-8."""
    path = Path(path)
    if not path.exists():
        raise error(f"{what} {path} does not exist")
    if not path.is_file():
        raise error(f"{what} {path} is not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{what} {path} cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"{path}:{line}: the {what} is not UTF-8 text (byte {exc.start})") from None


def one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's message as one short line (parsers' messages run over several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
