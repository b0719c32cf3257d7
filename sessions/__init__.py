"""Session files: one append-only JSONL file per trial, its writer, reader and listing."""

from sessions.format import SCHEMA_VERSION, SessionFileError
from sessions.reader import Session, load_session
from sessions.store import SessionsDirError, SessionSummary, list_sessions, resolve_sessions_dir
from sessions.writer import SessionWriter

__all__ = [
    "SCHEMA_VERSION",
    "Session",
    "SessionFileError",
    "SessionSummary",
    "SessionWriter",
    "SessionsDirError",
    "list_sessions",
    "load_session",
    "resolve_sessions_dir",
]
