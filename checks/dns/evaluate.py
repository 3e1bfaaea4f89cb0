"""Compare what the authoritative servers say with the IP-allocation list. Pure: no I/O, no clock."""

from __future__ import annotations

import logging
from collections import defaultdict

from ..finding import Finding, internal_error, quantity, worst
from .model import Answer, DnsResult, InventoryHost, Observation, ZoneData

_FAMILIES = ("A", "AAAA")
log = logging.getLogger("sigap.checks.dns")


def zone_of(name: str, zones: list[str]) -> str | None:
    """The longest zone that contains `name`."""
    best = None
    for zone in zones:
        if (name == zone or name.endswith("." + zone)) and (best is None or len(zone) > len(best)):
            best = zone
    return best


def canonical(name: str, zones: dict[str, ZoneData]) -> str:
    """The name a CNAME chain inside the transferred zones ends at (the name itself if none)."""
    seen = {name}
    for _ in range(16):
        target = next((d.aliases[name] for d in zones.values() if name in d.aliases), None)
        if target is None or target in seen:
            break
        seen.add(target)
        name = target
    return name


def _first_answer(answers: dict[str, Answer]) -> Answer | None:
    return next((a for a in answers.values() if a.answered), None)


def _server_findings(name: str, rdtype: str, answers: dict[str, Answer]) -> list[Finding]:
    """A server that could not say yes or no; UNKNOWN only when none could."""
    failed = {label: a for label, a in answers.items() if not a.answered}
    if not failed:
        return []
    if len(failed) == len(answers):
        detail = "; ".join(f"{label} {a.rcode}" for label, a in failed.items())
        return [
            Finding(
                "dns_no_answer",
                "unknown",
                {"name": name, "detail": detail},
                observed=quantity({label: a.rcode for label, a in failed.items()}, "rcode"),
            )
        ]
    return [
        Finding(
            "dns_server_error",
            "warn",
            {"server": label, "rcode": a.rcode, "name": name, "rdtype": rdtype},
            observed=quantity(a.rcode, "rcode", server=label, detail=a.detail),
        )
        for label, a in failed.items()
    ]


def _disagreement(name: str, rdtype: str, answers: dict[str, Answer]) -> list[Finding]:
    seen = {label: sorted(a.values) or [a.rcode] for label, a in answers.items() if a.answered}
    if len({tuple(v) for v in seen.values()}) <= 1:
        return []
    detail = "; ".join(f"{label}: {', '.join(v)}" for label, v in seen.items())
    # per server: its addresses or names, or its rcode when it had none
    answer = quantity(seen, "answer", rdtype=rdtype)
    params = {"name": name, "rdtype": rdtype, "detail": detail}
    return [Finding("dns_servers_disagree", "warn", params, observed=answer)]


def _address_findings(
    host: InventoryHost, observed: set[str], rcode: str, allocated: set[str]
) -> list[Finding]:
    name = host.name
    if not observed:
        return [
            Finding(
                "dns_record_missing",
                "crit",
                {"name": name, "rcode": rcode, "allocated": sorted(allocated)},
                observed=quantity([], "address", rcode=rcode),
                limit=quantity(sorted(allocated), "address"),
            )
        ]
    missing, extra = allocated - observed, observed - allocated
    limit, seen = quantity(sorted(allocated), "address"), quantity(sorted(observed), "address")
    if missing and extra:
        return [
            Finding(
                "dns_wrong_address",
                "crit",
                {"name": name, "wrong": sorted(extra), "allocated": sorted(missing)},
                observed=seen,
                limit=limit,
            )
        ]
    findings = []
    if missing:
        findings.append(
            Finding(
                "dns_address_missing",
                "warn",
                {"name": name, "missing": sorted(missing)},
                observed=seen,
                limit=limit,
            )
        )
    if extra:
        findings.append(
            Finding(
                "dns_extra_address",
                "warn",
                {"name": name, "extra": sorted(extra)},
                observed=seen,
                limit=limit,
            )
        )
    return findings


def _ptr(
    host: InventoryHost, ip: str, answers: dict[str, Answer] | None, accepted: set[str]
) -> tuple[list[str] | None, list[Finding]]:
    """The PTR names for one allocated IP; None when no server holds the reverse zone."""
    first = _first_answer(answers or {})
    if first is None:
        return None, []  # REFUSED/NOTAUTH/timeout: the reverse zone is not on these servers
    names = sorted(first.values)
    findings = _disagreement(ip, "PTR", answers or {})
    if not names:
        findings.append(
            Finding(
                "ptr_missing",
                "warn",
                {"ip": ip, "name": host.key},
                observed=quantity([], "name"),
                limit=quantity(host.key, "name"),
            )
        )
    elif not accepted & set(names):  # the host's name, or where its CNAME points
        findings.append(
            Finding(
                "ptr_mismatch",
                "warn",
                {"ip": ip, "ptr": names, "name": host.key},
                observed=quantity(names, "name"),
                limit=quantity(host.key, "name"),
            )
        )
    return names, findings


def _claims(hosts: list[InventoryHost], zones: dict[str, ZoneData]) -> dict[str, set[str]]:
    """IP -> every name that claims it: in the allocation list, and in transferred zones.

    An allocated name that is a CNAME claims through its target, so the alias and its target
    count once.
    """
    owners: dict[str, set[str]] = defaultdict(set)
    for host in hosts:
        for ip in host.ips:
            owners[str(ip)].add(canonical(host.key, zones))
    for data in zones.values():
        for owner, addresses in (data.records or {}).items():
            for ip in addresses:
                if ip in owners:  # only addresses someone allocated can be claimed twice
                    owners[ip].add(owner)
    return owners


def evaluate_host(host: InventoryHost, obs: Observation, claims: dict[str, set[str]]) -> DnsResult:
    allocated = {str(ip) for ip in host.ips}
    names = {host.key, canonical(host.key, obs.zones)}
    result = DnsResult(
        target=host.name,
        status="ok",
        kind="host",
        opd=host.opd,
        purpose=host.purpose,
        zone=zone_of(host.key, list(obs.zones)),
        allocated=sorted(allocated, key=lambda s: (":" in s, s)),
    )
    findings: list[Finding] = []
    observed: set[str] = set()
    measured = True
    rcodes = []
    for rdtype in _FAMILIES:
        answers = obs.forward.get((host.key, rdtype), {})
        findings += _server_findings(host.name, rdtype, answers)
        findings += _disagreement(host.name, rdtype, answers)
        first = _first_answer(answers)
        if first is None:
            measured = False
            continue
        rcodes.append(first.rcode)
        result.observed[rdtype] = sorted(first.values)
        observed |= first.values
        if rdtype == "A":
            result.servers = {label: a.rcode for label, a in answers.items()}
    if measured:
        rcode = "NXDOMAIN" if "NXDOMAIN" in rcodes else "NOERROR"
        findings += _address_findings(host, observed, rcode, allocated)
    for ip in result.allocated:
        result.ptr[ip], ptr_findings = _ptr(host, ip, obs.reverse.get(ip), names)
        findings += ptr_findings
        others = sorted(claims.get(ip, set()) - names)
        if others:
            findings.append(
                Finding(
                    "ip_claimed_twice",
                    "warn",
                    {"ip": ip, "other": others},
                    observed=quantity(others, "name"),
                    limit=quantity(host.key, "name"),
                )
            )
    if not findings:
        seen = quantity(sorted(observed), "address")
        findings.append(Finding("dns_ok", "ok", {"observed": sorted(observed)}, observed=seen))
    result.findings = findings
    result.status = worst(f.status for f in findings)
    return result


def _orphans(hosts: list[InventoryHost], obs: Observation, claims: dict[str, set[str]]) -> list[DnsResult]:
    known = {h.key for h in hosts} | {canonical(h.key, obs.zones) for h in hosts}
    allocated_to = {str(ip): h.key for h in hosts for ip in h.ips}
    out = []
    for zone, data in sorted(obs.zones.items()):
        for owner, addresses in sorted((data.records or {}).items()):
            if owner in known:
                continue
            ips = sorted(addresses, key=lambda s: (":" in s, s))
            seen = quantity(ips, "address")
            findings = [Finding("dns_orphan", "warn", {"name": owner, "observed": ips}, observed=seen)]
            for ip in ips:
                if ip in allocated_to:
                    others = sorted(claims[ip] - {owner})
                    findings.append(
                        Finding(
                            "ip_claimed_twice",
                            "warn",
                            {"ip": ip, "other": others},
                            observed=quantity(others, "name"),
                        )
                    )
            out.append(
                DnsResult(
                    target=owner,
                    status=worst(f.status for f in findings),
                    kind="orphan",
                    zone=zone,
                    observed={
                        "A": [i for i in ips if ":" not in i],
                        "AAAA": [i for i in ips if ":" in i],
                    },
                    findings=findings,
                )
            )
    return out


def _serial(text: str | None) -> int | str | None:
    """A SOA serial as its number (the answer carries it as text)."""
    return int(text) if text is not None and text.isdigit() else text


def evaluate_zone(data: ZoneData) -> DnsResult:
    if data.failure is not None:
        return _failed_zone(data.name, data.failure)
    findings = []
    serials = {label: next(iter(a.values), None) for label, a in data.soa.items() if a.rcode == "NOERROR"}
    for label, answer in data.soa.items():
        if answer.rcode != "NOERROR":
            findings.append(
                Finding(
                    "zone_unreachable",
                    "unknown" if not serials else "warn",
                    {"zone": data.name, "server": label, "rcode": answer.rcode},
                    observed=quantity(answer.rcode, "rcode", server=label, detail=answer.detail),
                )
            )
    if len(set(serials.values())) > 1:
        detail = ", ".join(f"{label} {serial}" for label, serial in serials.items())
        numbers = {label: _serial(serial) for label, serial in serials.items()}
        findings.append(
            Finding(
                "soa_serial_mismatch",
                "warn",
                {"zone": data.name, "detail": detail},
                observed=quantity(numbers, "serial"),
            )
        )
    findings += _transfer_findings(data)
    return DnsResult(
        target=data.name,
        status=worst(f.status for f in findings),
        kind="zone",
        zone=data.name,
        findings=findings,
        extra={
            "soa_serials": serials,
            "zone_transfer": "ok" if data.records is not None else data.transfer_error,
            "transfer_from": data.transfer_from,
            "records": len(data.records or {}),
            "skipped_records": data.skipped,
        },
    )


def _transfer_findings(data: ZoneData) -> list[Finding]:
    """A zone transfer that was asked and did not come is said, not left silent: without it no record
    of the zone is searched for an allocation. Records it could not read are said too."""
    out = []
    if data.transfer_tried and data.records is None:
        code = "zone_transfer_refused" if data.transfer_refused else "zone_transfer_failed"
        reason = data.transfer_error or ""
        out.append(
            Finding(code, "warn", {"zone": data.name, "reason": reason}, observed=quantity(reason, "reason"))
        )
    if data.skipped:
        detail = "; ".join(data.skipped_detail)
        out.append(
            Finding(
                "zone_records_skipped",
                "warn",
                {"zone": data.name, "count": data.skipped, "detail": detail},
                observed=quantity(data.skipped, "record", detail=detail),
            )
        )
    return out


def _failed_host(host: InventoryHost, finding: Finding) -> DnsResult:
    return DnsResult(
        target=host.name,
        status=finding.status,
        kind="host",
        opd=host.opd,
        purpose=host.purpose,
        allocated=sorted((str(ip) for ip in host.ips), key=lambda s: (":" in s, s)),
        findings=[finding],
    )


def _host(host: InventoryHost, obs: Observation, claims: dict[str, set[str]]) -> DnsResult:
    """One host's result; a question about it that raised, or a bug here, is UNKNOWN for it alone."""
    failed = next((obs.failures[k] for k in (host.key, *map(str, host.ips)) if k in obs.failures), None)
    if failed is not None:
        return _failed_host(host, failed)
    try:
        return evaluate_host(host, obs, claims)
    except Exception as exc:
        return _failed_host(host, internal_error(exc, log, host.name))


def _failed_zone(name: str, finding: Finding) -> DnsResult:
    return DnsResult(target=name, status=finding.status, kind="zone", zone=name, findings=[finding])


def _zone(data: ZoneData) -> DnsResult:
    try:
        return evaluate_zone(data)
    except Exception as exc:
        return _failed_zone(data.name, internal_error(exc, log, data.name))


def evaluate(hosts: list[InventoryHost], obs: Observation) -> list[DnsResult]:
    """One result per inventory host (input order), then one per orphan record, then one per zone."""
    claims = _claims(hosts, obs.zones)
    results = [_host(h, obs, claims) for h in hosts]
    results += _orphans(hosts, obs, claims)
    results += [_zone(data) for _, data in sorted(obs.zones.items())]
    return results
