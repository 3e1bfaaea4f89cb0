"""What every `sigap` command shares: the lazily loaded config and registry (checked against the kinds)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sop_registry.errors import InputError

from ..clikit import EXIT_BAD_INPUT, _json_out, bad_input_exits, emit

if TYPE_CHECKING:  # imported when a command asks for them: `sigap --help` needs neither
    from sop_registry.loader import Registry

    from ..config import Config


def now() -> datetime:
    """The CLI's clock: what a command records and compares against, in UTC."""
    return datetime.now(UTC)


class Context:
    def __init__(self, config_path: Path | None, lang: str | None) -> None:
        self._config_arg = config_path
        self._lang = lang
        self._config: Config | None = None
        self._registry: Registry | None = None

    def config(self) -> Config:
        if self._config is None:
            from ..config import config_path_from, load_config

            path, _ = config_path_from(self._config_arg)
            self._config = load_config(path)
        return self._config

    def optional_config(self) -> Config | None:
        """The config if one is given or installed; SOP commands work without one."""
        from ..config import config_path_from

        path, explicit = config_path_from(self._config_arg)
        if not explicit and not path.exists():
            return None
        return self.config()

    def registry(self) -> Registry:
        if self._registry is None:
            from sop_registry.loader import load_registry

            from .. import kinds

            config = self.optional_config()
            self._registry = load_registry(config.sop_dirs if config else ())
            if config is not None:
                config.check_against(self._registry)
                kinds.check_config(config, self._registry)
        return self._registry

    @property
    def lang_option(self) -> str | None:
        """--lang as given (None: let the config decide)."""
        return self._lang

    @property
    def lang(self) -> str:
        if self._lang:
            return self._lang
        try:
            config = self.optional_config()
        except InputError:  # the command itself reports a broken config; the language falls back
            return "id"
        return config.office.language if config else "id"


__all__ = ["EXIT_BAD_INPUT", "Context", "_json_out", "bad_input_exits", "emit"]
