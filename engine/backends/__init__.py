"""Model backends: the official Anthropic and Ollama SDK clients behind one protocol.

The concrete backends live in `anthropic_backend` and `ollama_backend` and are imported
where a trial builds them: the anthropic SDK alone takes ~1.8 s to import, which every
command (and every error message) would otherwise pay.
"""

from engine.backends.base import BackendError, ModelBackend, TextSink

__all__ = ["BackendError", "ModelBackend", "TextSink"]
