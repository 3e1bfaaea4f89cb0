"""A step's settings, layered in the one documented order and validated after layering.

Later layers win: the check's defaults < the SOP binding (the product's `thresholds`) < the operator's
section (`web:`, `link:` ...) < the operator's step override (`agents: <sop>`, then `<sop>:<step>`)
< per-OPD and per-target values. The operator beats the product; the more specific beats the general.

Every value keeps the name of the layer it came from, so `sigap config effective` can answer the
question an operator asks when a limit surprises them: where did this number come from?
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from sop_registry.errors import InputError

DEFAULT = "default"
SOP = "sop"


@dataclass(frozen=True)
class Layer:
    name: str  # what `config effective` shows: "sop", "link", "agents.polman-15:1", "web.opd.Dinas X"
    values: Mapping[str, Any]
    path: str  # where a bad key is named: "agents.polman-15.thresholds", "polman-15 step 1: thresholds"


@dataclass(frozen=True)
class Layered:
    """The values of one step's (or one target's) settings, each with the layer it came from."""

    model: type[BaseModel]
    values: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # key -> the layer path that set it (errors)

    def settings(self, where: str = "") -> Any:
        """The validated settings model; a value that fails names the layer that gave it."""
        try:
            return self.model.model_validate(self.values)
        except ValidationError as exc:
            err = exc.errors()[0]
            key = str(err["loc"][0]) if err.get("loc") else None
            path = f"{self.paths[key]}.{key}" if key in self.paths else (where or "settings")
            raise InputError(f"{path}: {err['msg']}") from None

    def over(self, layers: Iterable[Layer]) -> Layered:
        """This, with more specific layers on top (a site's own limits over the step's)."""
        values, origin, paths = dict(self.values), dict(self.origin), dict(self.paths)
        for layer in layers:
            for key, value in layer.values.items():
                if value is None:
                    continue  # an unset per-target key falls through to the wider level
                if key not in self.model.model_fields:
                    known = ", ".join(self.model.model_fields)
                    raise InputError(f"{layer.path}.{key}: unknown key (known: {known})")
                values[key], origin[key], paths[key] = value, layer.name, layer.path
        return Layered(self.model, values, origin, paths)

    def as_json(self) -> dict[str, dict[str, Any]]:
        return {k: {"value": v, "from": self.origin[k]} for k, v in self.values.items()}


def defaults(model: type[BaseModel]) -> Layered:
    values = model().model_dump()
    return Layered(model, values, dict.fromkeys(values, DEFAULT), {})


def section_layer(name: str, section: BaseModel | None, model: type[BaseModel]) -> Layer:
    """The operator's section: only the keys the operator wrote (a written default still counts),
    and only those the step's settings have (a section also holds crawl politeness, zones ...)."""
    written = section.model_dump(exclude_unset=True) if section is not None else {}
    return Layer(name, {k: v for k, v in written.items() if k in model.model_fields}, name)


def operator_defaults(model: type[BaseModel], name: str, section: BaseModel | None) -> Layered:
    """Defaults < the operator's section, for a check run outside any SOP step (`sigap check`)."""
    return defaults(model).over([section_layer(name, section, model)])


def layered(
    model: type[BaseModel],
    *,
    binding: Mapping[str, Any] | None,
    binding_path: str,
    section_name: str | None,
    section: BaseModel | None,
    overrides: Iterable[tuple[str, Mapping[str, Any]]],
) -> Layered:
    """defaults < SOP binding < operator section < step overrides (`agents.<key>`, general first)."""
    layers = [Layer(SOP, binding or {}, binding_path)]
    if section_name is not None:
        layers.append(section_layer(section_name, section, model))
    layers += [Layer(f"agents.{key}", values, f"agents.{key}.thresholds") for key, values in overrides]
    return defaults(model).over(layers)
