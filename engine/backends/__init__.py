"""Model backends: the official Anthropic and Ollama SDK clients behind one protocol."""

from engine.backends.anthropic_backend import AnthropicBackend
from engine.backends.base import BackendError, ModelBackend, TextSink
from engine.backends.ollama_backend import OllamaBackend

__all__ = ["AnthropicBackend", "BackendError", "ModelBackend", "OllamaBackend", "TextSink"]
