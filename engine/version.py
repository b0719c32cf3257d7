# 0.2.0: the agent's shell is sandboxed, replies cut at max_tokens are asked again,
# mid-stream errors are retried, Ollama gets num_ctx. Trials of another version are
# compared apart (the version is part of a session's configuration).
ENGINE_VERSION = "0.2.0"
