"""The check kinds: one module each (its targets, settings, run, recap), and the one registry.

Adding a kind is a `checks/<kind>/` package, a module here declaring its `SPEC`, and one line below.
"""

from __future__ import annotations

from sop_registry.errors import InputError
from sop_registry.loader import Registry
from sop_registry.schema import Sop

from ..config import Config
from . import dns, link, snmp, tls, web
from .spec import KindSpec, RunContext

# The one list: a kind's id is the SOP binding's `check:` and the ledger's `agent`.
KINDS: dict[str, KindSpec] = {spec.id: spec for spec in (web.SPEC, dns.SPEC, tls.SPEC, link.SPEC, snmp.SPEC)}


def get(kind: str, where: str = "automation.check") -> KindSpec:
    spec = KINDS.get(kind)
    if spec is None:
        raise InputError(f"{where}: unknown check {kind!r} (known: {', '.join(KINDS)})")
    return spec


def automated_steps(sop: Sop) -> list[int]:
    return [s.no for s in sop.steps if s.automation is not None]


def check_config(config: Config, registry: Registry) -> None:
    """Every step override key must fit the kind of every step it reaches, and every selected
    step's settings (and each target's own) must validate once layered: a misspelt key or a limit
    that can never work fails at start-up, with the file and the key path."""
    where = config.source_path
    for key, entry in config.agents.items():
        sop_id, _, step = key.partition(":")
        sop = registry.sops.get(sop_id)
        if sop is None or not entry.thresholds:
            continue
        steps = [int(step)] if step else automated_steps(sop)
        for no in steps:
            automation = sop.step(no).automation
            if automation is None:
                raise InputError(f"{where}: agents.{key}.thresholds: {sop_id} step {no} is a human step")
            try:  # layering refuses a key the step's kind does not have (also for SOPs not selected)
                get(automation.check).layered(config, sop, no)
            except InputError as exc:
                raise InputError(f"{where}: {exc}") from None
    for sop in config.selected_sops(registry):
        for no in automated_steps(sop):
            spec = get(sop.step(no).automation.check, f"{sop.id} step {no}: automation.check")
            try:
                base = spec.layered(config, sop, no)
                base.settings()
                for mine in spec.target_layers(config, base).values():
                    mine.settings()
            except InputError as exc:
                raise InputError(f"{where}: {exc}") from None


__all__ = ["KINDS", "KindSpec", "RunContext", "automated_steps", "check_config", "get"]
