"""One-line messages for failures of user code, pointing at the user's own file."""

from __future__ import annotations

import traceback


def user_error_line(exc: BaseException, file_name: str) -> str:
    """`file.py:12: <source line>: ExcType: message` for the deepest frame in `file_name`."""
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, SyntaxError):
        message = f"SyntaxError: {exc.msg}"
    return f"{_user_frame(exc, file_name)}: {message}"


def _user_frame(exc: BaseException, file_name: str) -> str:
    if isinstance(exc, SyntaxError) and exc.filename and exc.filename.endswith(file_name):
        text = (exc.text or "").strip()
        return f"{file_name}:{exc.lineno}: {text}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(file_name)]
    if not frames:
        return file_name
    frame = frames[-1]
    return f"{file_name}:{frame.lineno}: {(frame.line or '').strip()}"
