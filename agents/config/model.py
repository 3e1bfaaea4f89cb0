"""The whole config file: office, database, targets, sections, step overrides."""

from __future__ import annotations

import fnmatch
import importlib
import os
import pkgutil
import re
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    create_model,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url

from sop_registry.errors import InputError
from sop_registry.ledger.cases import CasePolicy
from sop_registry.ledger.db import redacted
from sop_registry.loader import Registry
from sop_registry.schema import Sop

from .base import DEFAULT_STATE_DIR, Secret, Strict
from .office import Office
from .sections import (
    AgentOverride,
    CaseSettings,
    ChatSettings,
    ConsoleSettings,
    DnsConfig,
    HttpSettings,
    Notify,
    ReportSettings,
    ServiceSettings,
    TlsConfig,
    WebSettings,
)
from .targets import Targets


class Database(Strict):
    url: str = Field(min_length=1)  # sqlite:///sigap.db (inside state_dir) or postgresql://user@host/db
    password: Secret | None = None  # kept out of the URL so the URL can be logged

    @field_validator("url")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            parsed = make_url(value)
        except Exception:
            raise ValueError(f"cannot parse database URL {redacted(value)!r}") from None
        if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(f"unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)")
        if parsed.password is not None:
            raise ValueError(
                "put the password in database.password ({env: NAME} or {file: PATH}), not in the URL"
            )
        return value



class _Config(Strict):
    """The file's fixed part; each check package may add its kind's section (`declared_sections`)."""

    office: Office
    database: Database
    state_dir: Path | None = None
    sop_dirs: list[Path] = Field(default_factory=list)  # the office's own SOP files, beside the bundled ones
    # The SOPs this office follows (ids or globs, "polman-*"), from the bundled and its own; only
    # their steps are scheduled, cased and reported. Unset: every SOP in the registry.
    sops: list[Annotated[str, Field(pattern=r"^[a-z0-9*?\[\]!-]+$")]] | None = None
    probe: str | None = None  # this instance's probe label (targets with another label are not ours)
    targets: Targets = Field(default_factory=Targets)
    notify: Notify = Field(default_factory=Notify)
    cases: CaseSettings = Field(default_factory=CaseSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    dns: DnsConfig = Field(default_factory=DnsConfig)
    tls: TlsConfig = Field(default_factory=TlsConfig)
    agents: dict[str, AgentOverride] = Field(default_factory=dict)  # "polman-15" or "polman-15:3"
    http: HttpSettings = Field(default_factory=HttpSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)

    @field_validator("agents")
    @classmethod
    def _agent_keys(cls, value: dict[str, AgentOverride]) -> dict[str, AgentOverride]:
        for key in value:
            if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*(?::\d+)?", key):
                raise ValueError(f"agents key {key!r}: expected SOP-ID or SOP-ID:STEP")
        return value

    @model_validator(mode="after")
    def _web_opds(self) -> Config:
        known = {w.opd for w in self.targets.websites}
        for opd in self.web.opd:
            if opd not in known:
                raise ValueError(f"web.opd: {opd!r} is not the opd of any targets.websites entry")
        return self

    # Set by load_config: where the file was, for messages. Private, so a YAML key cannot set it.
    _source_path: Path | None = PrivateAttr(default=None)

    @property
    def source_path(self) -> Path | None:
        return self._source_path

    @cached_property
    def resolved_state_dir(self) -> Path:
        if self.state_dir is not None:
            return self.state_dir
        # STATE_DIRECTORY is set by systemd's StateDirectory=
        for var in ("SIGAP_STATE_DIR", "STATE_DIRECTORY"):
            if os.environ.get(var):
                return Path(os.environ[var].split(":")[0])
        return DEFAULT_STATE_DIR

    def database_url(self) -> str:
        """The URL to connect with: relative SQLite paths live in the state directory, password filled in."""
        url = make_url(self.database.url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            path = Path(url.database).expanduser()
            if not path.is_absolute():
                url = url.set(database=str(self.resolved_state_dir / path))
        if self.database.password is not None:
            url = url.set(password=self.database.password.get_secret_value())
        return url.render_as_string(hide_password=False)

    def database_url_redacted(self) -> str:
        return make_url(self.database_url()).render_as_string(hide_password=True)

    def case_policy(self) -> CasePolicy:
        return CasePolicy(
            calendar=self.office.working_calendar(),
            round_the_clock=frozenset(self.cases.round_the_clock_sops),
            resolve_after_good=self.cases.resolve_after_good,
            reopen_within=timedelta(minutes=self.cases.reopen_within_minutes),
            outside_roles=frozenset(self.cases.outside_roles),
        )

    def selected_sops(self, registry: Registry) -> list[Sop]:
        """The office's own SOP set, in the order `sops:` names them (the first routes shared cases)."""
        if self.sops is None:
            return list(registry.values())
        chosen: dict[str, Sop] = {}
        for i, pattern in enumerate(self.sops):
            matched = sorted(sop_id for sop_id in registry.sops if fnmatch.fnmatchcase(sop_id, pattern))
            if not matched:
                raise InputError(f"{self.source_path}: sops[{i}]: no SOP matches {pattern!r}")
            for sop_id in matched:
                chosen.setdefault(sop_id, registry.sops[sop_id])
        return list(chosen.values())

    def check_against(self, registry: Registry) -> None:
        """Cross-checks that need the SOP registry: override keys must name real SOPs and steps."""
        selected = {sop.id for sop in self.selected_sops(registry)}
        if "sop" in self.report.model_fields_set and self.report.sop not in selected:
            raise InputError(
                f"{self.source_path}: report.sop: {self.report.sop} is not one of this office's sops"
            )
        for i, sop_id in enumerate(self.cases.round_the_clock_sops):
            if sop_id not in registry.sops:
                raise InputError(
                    f"{self.source_path}: cases.round_the_clock_sops[{i}]: unknown SOP id {sop_id!r}"
                )
        report = self.report
        if report.sop not in registry.sops:
            raise InputError(f"{self.source_path}: report.sop: unknown SOP id {report.sop!r}")
        steps = {s.no for s in registry.sops[report.sop].steps}
        for key in ("deliver_step", "approve_step", "archive_step"):
            if getattr(report, key) not in steps:
                raise InputError(
                    f"{self.source_path}: report.{key}: {report.sop} has no step {getattr(report, key)}"
                )
        for key in self.agents:
            sop_id, _, step = key.partition(":")
            if sop_id not in registry.sops:
                raise InputError(f"{self.source_path}: agents.{key}: unknown SOP id {sop_id!r}")
            if step and int(step) not in {s.no for s in registry.sops[sop_id].steps}:
                raise InputError(f"{self.source_path}: agents.{key}: {sop_id} has no step {step}")


def declared_sections() -> dict[str, type[BaseModel]]:
    """The operator's sections the check packages declare: `OPERATOR_SECTION = (name, Model)` in
    checks/<kind>/__init__.py (`link:` is checks.link's LinkSettings). A new kind brings its own
    section without a line here; the key is refused like any other until a package declares it."""
    import checks

    out: dict[str, type[BaseModel]] = {}
    for info in sorted(pkgutil.iter_modules(checks.__path__), key=lambda i: i.name):
        if info.ispkg:
            declared = getattr(importlib.import_module(f"checks.{info.name}"), "OPERATOR_SECTION", None)
            if declared is not None:
                name, model = declared
                out[name] = model
    return out


Config = create_model(
    "Config",
    __base__=_Config,
    __module__=__name__,
    **{
        name: (model, Field(default_factory=model))
        for name, model in declared_sections().items()
        if name not in _Config.model_fields
    },
)
