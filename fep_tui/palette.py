"""Command palette: every described binding of the current screen and the app, as a command."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


class ScreenActions(Provider):
    def _bindings(self) -> list[tuple[Binding, bool]]:
        """Each command once: a screen's binding hides the app's of the same name."""
        found: list[tuple[Binding, bool]] = []
        seen: set[str] = set()
        for bindings, on_app in ((self.screen.BINDINGS, False), (self.app.BINDINGS, True)):
            for binding in bindings:
                if (
                    isinstance(binding, Binding)
                    and binding.description
                    and binding.description not in seen
                ):
                    seen.add(binding.description)
                    found.append((binding, on_app))
        return found

    def _key(self, binding: Binding) -> str:
        # As the footer shows it (`?`, `]`, `esc`), not Textual's key names
        # (`question_mark`, `right,right_square_bracket`).
        return self.app.get_key_display(binding)

    async def _run(self, binding: Binding, on_app: bool) -> None:
        target = self.app if on_app else self.screen
        await target.run_action(binding.action)

    async def discover(self) -> Hits:
        for binding, on_app in self._bindings():
            yield DiscoveryHit(
                binding.description, partial(self._run, binding, on_app), help=self._key(binding)
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
                    help=self._key(binding),
                )
