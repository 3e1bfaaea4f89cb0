"""What a check kind declares about itself: the one place the service, runner, CLI and metrics ask.

Nothing outside `agents/kinds/` branches on a kind's name. A kind says what its settings are (what
SOP thresholds and `agents:` overrides must fit), which operator section layers over the SOP's
values, what its targets on this instance are, how it runs, what long-lived resources the service
lends it, and what its recap shows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import BaseModel

from ..config import Config
from ..config.layers import Layer, Layered, layered
from ..outcome import AgentOutcome

if TYPE_CHECKING:
    from sop_registry.schema import Sop


@dataclass(frozen=True)
class RunContext:
    """Everything one run of a kind gets: no module-level clients, no `now()` inside the kind."""

    config: Config
    settings: Any  # the kind's settings model, layered and validated
    layered: Layered  # the same values with their origins, for per-target layers on top
    now: datetime
    output_path: Path
    memory: dict[str, dict[str, Any]] = field(default_factory=dict)  # check_states of this kind
    resources: Mapping[str, Any] = field(default_factory=dict)  # what the service lends (SNMP engine)


@dataclass(frozen=True)
class Column:
    """One column of the kind's `sigap check` table: its heading (id/en) and how a `--json` row
    (the check's JSON contract) becomes the cell."""

    title_id: str
    title_en: str
    cell: Callable[[dict[str, Any], str], str]  # (row, lang) -> text

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_id


def status_column() -> Column:
    return Column("Status", "Status", lambda r, _lang: r["status"].upper())


def target_column(title_id: str = "Target", title_en: str = "Target") -> Column:
    return Column(title_id, title_en, lambda r, _lang: r["target"])


def table(columns: Iterable[Column], rows: list[dict[str, Any]], lang: str) -> str:
    """Header row then one row per target, each followed by its problems, indented."""
    columns = list(columns)
    cells = [[c.title(lang) for c in columns]] + [[c.cell(r, lang) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = []
    for i, row in enumerate(cells):
        lines.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i:
            lines += [f"    - {f['message']}" for f in rows[i - 1]["findings"] if f["status"] != "ok"]
    return "\n".join(lines)


@dataclass(frozen=True)
class KindSpec:
    id: str  # the SOP binding's `check:` and the ledger's `agent`
    title_id: str
    title_en: str
    settings: type[BaseModel]  # extra="forbid": what thresholds and overrides must fit
    section: str | None  # the operator's section in the config (`link:`), layered over the SOP's values
    targets: Callable[[Config], list[str]]  # this instance's targets (probe labels applied)
    run: Callable[[RunContext], Awaitable[AgentOutcome]]
    # Long-lived things the service creates once and lends to every run: name -> (make, close).
    resources: Mapping[str, tuple[Callable[[], Any], Callable[[Any], None]]] = field(default_factory=dict)
    # The recap CSV's headings (id/en): the step's output as a person opens it.
    columns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # The `sigap check <kind>` table, from the rows of `--json`, and the command itself.
    check_columns: tuple[Column, ...] = ()
    check_command: click.Command | None = None
    # Per-target layers over the step's settings (web: the OPD's, then the site's own limits).
    per_target: Callable[[Config], Iterable[tuple[str, list[Layer]]]] | None = None
    # Durations the service's metrics observe, from what a run handed back (SNMP poll times).
    poll_seconds: Callable[[AgentOutcome], Iterable[float]] | None = None

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_id

    def has_work(self, config: Config) -> bool:
        """Anything to check on this instance? The service never schedules an empty job."""
        return bool(self.targets(config))

    def layered(self, config: Config, sop: Sop, step_no: int) -> Layered:
        """The step's settings: defaults < SOP binding < operator section < `agents:` overrides."""
        automation = sop.step(step_no).automation
        section = getattr(config, self.section) if self.section else None
        keys = (sop.id, f"{sop.id}:{step_no}")  # the SOP's entry, then the step's own, which wins
        overrides = [(k, config.agents[k].thresholds) for k in keys if k in config.agents]
        return layered(
            self.settings,
            binding=dict(automation.thresholds) if automation else {},
            binding_path=f"{sop.id} step {step_no}: automation.thresholds",
            section_name=self.section,
            section=section,
            overrides=overrides,
        )

    def target_layers(self, config: Config, base: Layered) -> dict[str, Layered]:
        """Each target whose own layers change a value: target -> its settings with origins."""
        if self.per_target is None:
            return {}
        out = {}
        for target, layers in self.per_target(config):
            mine = base.over(layers)
            if mine.values != base.values or mine.origin != base.origin:
                out[target] = mine
        return out
