"""Claude Code transcripts as trials: read them, turn them into session files, list them.

`transcript` decodes the lines, `layout` finds a session's subagent files in each of the
three layouts Claude Code has used, `convert` turns one session into fep-tui events
(roles, usage, re-read attribution, delegations), and `store` imports them into a sessions
directory and keeps the summary the `traces` listing reads. Nothing here writes under
`~/.claude`.
"""
