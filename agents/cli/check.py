"""`sigap check KIND`: each kind's command comes from its module (agents/kinds/), not from here.

The kinds (and the check packages under them) are imported when `sigap check` runs, not for every
`sigap` command.
"""

from __future__ import annotations

import click


class KindsGroup(click.Group):
    def _commands(self) -> dict[str, click.Command]:
        from .. import kinds

        return {c.name: c for s in kinds.KINDS.values() if (c := s.check_command) is not None and c.name}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._commands())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._commands().get(name)


@click.group(cls=KindsGroup)
def check() -> None:
    """Run one check now and print what it measured (nothing is recorded)."""
