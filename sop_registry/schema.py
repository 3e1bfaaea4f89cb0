"""The schema of an SOP file: what the seed documents say, in a strict, typed form.

Every field name is the English name of a part of the Indonesian SOP form (the Indonesian heading
is in the comment). Unknown keys are refused so a typo in a transcription cannot silently drop data.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .timestd import TimeStandard, parse_time_standard

SOP_ID_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NonEmpty = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(Strict):
    seed: NonEmpty  # file name under shared/seeds the SOP was transcribed from
    # The number as printed ("15/SOP-Diskominfo-SP/10/2019"); some SOPs have none.
    sop_number: str | None = None
    organisation: NonEmpty  # "Pemerintah Kabupaten Polewali Mandar"
    agency: NonEmpty  # "Dinas Komunikasi, Informatika, Statistik dan Persandian"


class Dates(Strict):
    """Dates as printed ("20 Oktober 2019", "Mei 2022"): seeds give month-only dates too."""

    created: str | None = None  # TGL. PEMBUATAN
    revised: str | None = None  # TGL. REVISI
    effective: str | None = None  # TGL. EFEKTIF
    approved: str | None = None  # Tanggal Pengesahan
    approved_by: str | None = None  # DISAHKAN OLEH


class TimeWindow(Strict):
    days: list[Weekday] = Field(min_length=1)
    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def _order(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self


class WorkingHours(Strict):
    """Working hours as the seed gives them (WAKTU PELAKSANAAN)."""

    text: NonEmpty
    timezone: NonEmpty
    windows: list[TimeWindow] = Field(min_length=1)


class Schedule(Strict):
    """When an SOP (or an automated step) runs. Cron fields are APScheduler 3.x CronTrigger fields."""

    text: str | None = None  # the seed's words, e.g. "setiap minggu pada hari Senin"
    day_of_week: str | None = None
    hour: str | None = None
    minute: str | None = None
    day: str | None = None
    month: str | None = None
    every_minutes: int | None = Field(default=None, gt=0)  # interval checks (link, SNMP)
    # Sub-minute intervals: a 30 s link probe on a critical uplink (and the service's own tests).
    every_seconds: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_kind(self) -> Schedule:
        cron = any(v is not None for v in (self.day_of_week, self.hour, self.minute, self.day, self.month))
        if cron and (self.every_minutes is not None or self.every_seconds is not None):
            raise ValueError("give either cron fields or every_minutes/every_seconds, not both")
        if self.every_minutes is not None and self.every_seconds is not None:
            raise ValueError("give every_minutes or every_seconds, not both")
        if self.day_of_week is not None:
            for part in re.split(r"[,\-]", self.day_of_week):
                if part not in WEEKDAYS and not part.isdigit() and part != "*":
                    raise ValueError(f"day_of_week {self.day_of_week!r}: unknown day {part!r}")
        return self

    @property
    def interval_s(self) -> int | None:
        """Seconds between runs of an interval schedule; None for a cron (calendar) schedule."""
        if self.every_seconds is not None:
            return self.every_seconds
        return None if self.every_minutes is None else self.every_minutes * 60

    @property
    def is_cron(self) -> bool:
        return self.interval_s is None


class Automation(Strict):
    """Binds a step to an agent: which check kind performs it, on which targets, when, with what limits.

    The agent issues fill these in; `check` names a kind from the checks registry and `thresholds`
    is validated by that kind's own config model when the agent is built.
    """

    check: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    targets: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]  # config section, e.g. "websites"
    schedule: Schedule
    thresholds: dict[str, int | float | str | bool] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)


class Step(Strict):
    no: int = Field(ge=1)
    activity: NonEmpty  # AKTIVITAS / KEGIATAN
    actors: list[NonEmpty] = Field(min_length=1)  # PELAKSANA column(s) marked for the step
    # True where the seed's flowchart marks were lost in OCR and the actor was reconstructed
    # from the activity's wording and the procedure text (see transcription_notes).
    actors_inferred: bool = False
    inputs: str | None = None  # MUTU BAKU: Kelengkapan
    waktu: str | None = None  # MUTU BAKU: Waktu, exactly as written
    output: str | None = None  # MUTU BAKU: Output
    remark: str | None = None  # Keterangan ("by Sistem", ...)
    illegible: list[Literal["activity", "actors", "inputs", "waktu", "output", "remark"]] = Field(
        default_factory=list
    )  # cells the OCR lost: kept empty rather than guessed
    notes: list[str] = Field(default_factory=list)
    automation: Automation | None = None

    @field_validator("waktu")
    @classmethod
    def _waktu_parses(cls, value: str | None) -> str | None:
        parse_time_standard(value)  # raises with the offending text
        return value

    @property
    def time_standard(self) -> TimeStandard | None:
        return parse_time_standard(self.waktu)


class Sop(Strict):
    id: Annotated[str, Field(pattern=SOP_ID_RE)]
    version: NonEmpty  # bumped when the office revises the SOP; step runs record it
    title: NonEmpty  # NAMA SOP
    unit: NonEmpty  # the bidang / seksi that owns it
    source: Source
    dates: Dates = Field(default_factory=Dates)
    legal_basis: list[NonEmpty] = Field(default_factory=list)  # DASAR HUKUM
    related_sops: list[NonEmpty] = Field(default_factory=list)  # KETERKAITAN
    executor_qualifications: list[NonEmpty] = Field(default_factory=list)  # KUALIFIKASI PELAKSANA
    equipment: list[NonEmpty] = Field(default_factory=list)  # PERALATAN / PERLENGKAPAN
    warning: str | None = None  # PERINGATAN
    recording: str | None = None  # PENCATATAN DAN PENDATAAN
    pelaksana: list[NonEmpty] = Field(min_length=1)  # the role columns of the flowchart
    working_hours: WorkingHours | None = None
    schedule: Schedule | None = None
    introduction: str | None = None  # PENGANTAR, where the seed has one
    responsible: str | None = None  # PENANGGUNG JAWAB
    transcription_notes: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Sop:
        numbers = [s.no for s in self.steps]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"steps must be numbered 1..{len(numbers)} in order, got {numbers}")
        roles = set(self.pelaksana)
        for step in self.steps:
            unknown = [a for a in step.actors if a not in roles]
            if unknown:
                raise ValueError(f"step {step.no}: actor(s) {unknown} not among pelaksana {self.pelaksana}")
        return self

    def step(self, no: int) -> Step:
        for step in self.steps:
            if step.no == no:
                return step
        raise KeyError(f"{self.id} has no step {no}")
