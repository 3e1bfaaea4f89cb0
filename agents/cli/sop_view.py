"""SOPs as the CLI shows them: the JSON contract and a readable text form."""

from __future__ import annotations

from typing import Any

from sop_registry.schema import Sop, Step

from . import texts


def step_as_dict(step: Step) -> dict[str, Any]:
    standard = step.time_standard
    return {
        "no": step.no,
        "activity": step.activity,
        "actors": list(step.actors),
        "actors_inferred": step.actors_inferred,
        "inputs": step.inputs,
        "time_standard": standard.as_dict() if standard else None,
        "output": step.output,
        "remark": step.remark,
        "illegible": list(step.illegible),
        "notes": list(step.notes),
        "automation": step.automation.model_dump(mode="json", exclude_none=True) if step.automation else None,
    }


def sop_as_dict(sop: Sop) -> dict[str, Any]:
    data = sop.model_dump(mode="json", exclude={"steps"})
    # The contract puts id, title and source first; the rest of the SOP form follows.
    ordered = {"id": sop.id, "title": sop.title, "source": data.pop("source")}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    ordered["steps"] = [step_as_dict(s) for s in sop.steps]
    return ordered


def _block(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [f"{title}:"] + [f"  {i}. {item}" for i, item in enumerate(items, 1)]


def sop_text(sop: Sop, lang: str) -> str:
    t = texts.get(lang)
    none = t["none"]
    lines = [
        f"{sop.id}: {sop.title}",
        f"{t['sop_unit']}: {sop.unit}",
        f"{t['sop_source']}: {sop.source.organisation}, {sop.source.agency} ({sop.source.seed})",
        f"{t['sop_number']}: {sop.source.sop_number or none}   {t['sop_version']}: {sop.version}",
        f"{t['sop_pelaksana']}: {', '.join(sop.pelaksana)}",
    ]
    if sop.schedule and sop.schedule.text:
        lines.append(f"{t['sop_schedule']}: {sop.schedule.text}")
    if sop.working_hours:
        lines.append(f"{t['sop_hours']}: {sop.working_hours.text} ({sop.working_hours.timezone})")
    lines += _block(t["sop_legal"], sop.legal_basis)
    lines += _block(t["sop_related"], sop.related_sops)
    lines += _block(t["sop_quals"], sop.executor_qualifications)
    lines += _block(t["sop_equipment"], sop.equipment)
    if sop.warning:
        lines.append(f"{t['sop_warning']}: {sop.warning}")
    if sop.recording:
        lines.append(f"{t['sop_recording']}: {sop.recording}")
    for step in sop.steps:
        standard = step.time_standard
        actors = ", ".join(step.actors) + (f" {t['step_inferred']}" if step.actors_inferred else "")
        lines += [
            "",
            f"{step.no}. {step.activity}",
            f"   {t['step_actor']}: {actors}",
            f"   {t['step_inputs']}: {step.inputs or none}",
            f"   {t['step_time']}: {standard.describe(lang) if standard else none}",
            f"   {t['step_output']}: {step.output or none}",
        ]
        if step.remark:
            lines.append(f"   {t['step_remark']}: {step.remark}")
        if step.illegible:
            lines.append(f"   {t['step_illegible']}: {', '.join(step.illegible)}")
        if step.automation:
            lines.append(f"   {t['step_auto']}: {step.automation.check} ({step.automation.targets})")
    if sop.transcription_notes:
        lines.append("")
        lines += _block(t["sop_notes"], sop.transcription_notes)
    return "\n".join(lines)
