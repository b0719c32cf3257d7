"""Command palette: every described binding of the current screen and the app, as a command."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


class ScreenActions(Provider):
    def _bindings(self) -> list[tuple[Binding, bool]]:
        found: list[tuple[Binding, bool]] = []
        for binding in self.screen.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                found.append((binding, False))
        for binding in self.app.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                found.append((binding, True))
        return found

    async def _run(self, binding: Binding, on_app: bool) -> None:
        target = self.app if on_app else self.screen
        await target.run_action(binding.action)

    async def discover(self) -> Hits:
        for binding, on_app in self._bindings():
            yield DiscoveryHit(
                binding.description, partial(self._run, binding, on_app), help=binding.key
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for binding, on_app in self._bindings():
            score = matcher.match(binding.description)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(binding.description),
                    partial(self._run, binding, on_app),
                    help=binding.key,
                )
