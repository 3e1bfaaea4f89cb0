"""Loading the SOP registry: the bundled SOP files plus any directories the office adds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .errors import InputError
from .schema import Sop
from .yamlio import format_validation_error, load_yaml_file

BUNDLED_DIR = Path(__file__).parent / "sops"


def load_sop_file(path: Path) -> Sop:
    data = load_yaml_file(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    try:
        sop = Sop.model_validate(data)
    except ValidationError as exc:
        raise InputError(format_validation_error(str(path), exc)) from None
    if sop.id != path.stem:
        raise InputError(f"{path}: id: {sop.id!r} does not match the file name {path.stem!r}")
    return sop


@dataclass(frozen=True)
class Registry(Mapping[str, Sop]):
    """The SOPs by id, in a stable order (bundled first, by id)."""

    sops: dict[str, Sop] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)

    def __getitem__(self, sop_id: str) -> Sop:
        try:
            return self.sops[sop_id]
        except KeyError:
            raise InputError(f"unknown SOP id {sop_id!r} (see 'sigap sop list')") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.sops)

    def __len__(self) -> int:
        return len(self.sops)


def load_registry(extra_dirs: Iterable[Path] = ()) -> Registry:
    sops: dict[str, Sop] = {}
    paths: dict[str, Path] = {}
    for directory in (BUNDLED_DIR, *extra_dirs):
        if not directory.is_dir():
            raise InputError(f"{directory}: SOP directory does not exist")
        for path in sorted(directory.glob("*.yaml")):
            sop = load_sop_file(path)
            if sop.id in sops:
                raise InputError(f"{path}: id: {sop.id!r} already defined in {paths[sop.id]}")
            sops[sop.id] = sop
            paths[sop.id] = path
    return Registry(sops=sops, paths=paths)
