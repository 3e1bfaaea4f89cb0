"""Settings layered in the one documented order, for every kind, with the layer each value came from.

defaults < SOP binding < operator section < agents.<sop> < agents.<sop>:<step> < per-OPD/per-target.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from helpers.cli import sigap

from agents import kinds
from agents.config import load_config
from sop_registry.errors import InputError
from sop_registry.loader import load_registry

BASE = {
    "office": {"name": "Diskominfo Uji", "timezone": "Asia/Makassar"},
    "database": {"url": "sqlite:///sigap.db"},
}

# kind -> (SOP, step, key, the SOP binding's value or the default, section, step-level values,
# per-target config and the target id with its value). Every kind is covered (asserted below).
TABLE = {
    "web_freshness": ("kaltim-monitoring-website", 2, "warn_after_days", 7, "web",
                      {"targets": {"websites": [{"id": "a", "opd": "OPD A", "url": "http://127.0.0.1:1/",
                                                 "warn_after_days": 20}]}},
                      ("a", 20, "targets.websites.a")),
    "tls_cert": ("polman-19", 7, "crit_days", 7, "tls",
                 {"targets": {"tls_endpoints": [{"id": "sso", "host": "127.0.0.1", "crit_days": 3}]}},
                 ("sso", 3, "targets.tls_endpoints.sso")),
    "link": ("polman-15", 1, "down_after", 3, "link", {}, None),
    "snmp_bandwidth": ("polman-13", 9, "window_minutes", 15, "snmp", {}, None),
    "dns_ip": ("polman-14", 7, "timeout_s", 2.0, "dns", {}, None),
}


def test_the_table_covers_every_kind():
    assert set(TABLE) == set(kinds.KINDS)


def _config(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "sigap.yaml"
    path.write_text(yaml.safe_dump({**BASE, "state_dir": str(tmp_path / "state"), **data}), encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", sorted(TABLE))
def test_precedence_for_every_kind(tmp_path, kind):
    sop_id, step, key, product_value, section, extra, per_target = TABLE[kind]
    registry = load_registry(())
    sop = registry[sop_id]
    spec = kinds.get(kind)
    origin_of_product = "sop" if key in (sop.step(step).automation.thresholds or {}) else "default"
    layers = [
        ({}, product_value, origin_of_product),
        ({section: {key: 4}}, 4, section),
        ({section: {key: 4}, "agents": {sop_id: {"thresholds": {key: 5}}}}, 5, f"agents.{sop_id}"),
        (
            {
                section: {key: 4},
                "agents": {sop_id: {"thresholds": {key: 5}}, f"{sop_id}:{step}": {"thresholds": {key: 6}}},
            },
            6,
            f"agents.{sop_id}:{step}",
        ),
        # The SOP-wide entry does not beat the step's own, whatever the order in the file.
        (
            {"agents": {f"{sop_id}:{step}": {"thresholds": {key: 6}}, sop_id: {"thresholds": {key: 5}}}},
            6,
            f"agents.{sop_id}:{step}",
        ),
    ]
    for data, value, origin in layers:
        config = load_config(_config(tmp_path, {**data, **extra}))
        kinds.check_config(config, registry)
        base = spec.layered(config, sop, step)
        assert base.as_json()[key] == {"value": value, "from": origin}, (data, base.as_json()[key])
        assert getattr(base.settings(), key) == value
    if per_target:
        target, value, origin = per_target
        config = load_config(_config(tmp_path, {section: {key: 4}, **extra}))
        mine = spec.target_layers(config, spec.layered(config, sop, step))[target]
        assert mine.as_json()[key] == {"value": value, "from": origin}


def test_operator_section_beats_the_sop_binding_and_effective_shows_it(tmp_path):
    path = _config(tmp_path, {"link": {"down_after": 5}})
    result = sigap("--config", str(path), "config", "effective", "polman-15:1", "--json")
    assert result.returncode == 0, result.stderr
    effective = json.loads(result.stdout)
    assert effective["down_after"] == {"value": 5, "from": "link"}
    assert effective["up_after"] == {"value": 2, "from": "sop"}  # the binding's, not overridden
    assert effective["flap_history"] == {"value": 21, "from": "default"}
    text = sigap("--config", str(path), "--lang", "en", "config", "effective", "polman-15:1")
    assert text.returncode == 0 and "down_after" in text.stdout and "link" in text.stdout


@pytest.mark.parametrize(
    "command", [["config", "check"], ["serve", "--dry-run"], ["run", "polman-15", "--once"]]
)
def test_a_misspelt_override_key_exits_2_with_its_path(tmp_path, command):
    path = _config(tmp_path, {"agents": {"polman-15": {"thresholds": {"dwon_after": 5}}}})
    result = sigap("--config", str(path), *command)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "agents.polman-15.thresholds.dwon_after" in lines[0] and str(path) in lines[0]


def test_a_value_that_fails_after_layering_names_its_layer(tmp_path):
    path = _config(tmp_path, {"agents": {"polman-15:1": {"thresholds": {"down_after": 0}}}})
    result = sigap("--config", str(path), "config", "check")
    assert result.returncode == 2
    assert "agents.polman-15:1.thresholds.down_after" in result.stderr


def test_sops_selects_the_office_set_and_refuses_a_pattern_that_matches_nothing(tmp_path):
    registry = load_registry(())
    config = load_config(_config(tmp_path, {"sops": ["polman-1*", "kaltara-pse"]}))
    chosen = [s.id for s in config.selected_sops(registry)]
    assert chosen[0] == "polman-10" and chosen[-1] == "kaltara-pse" and "polman-03" not in chosen
    config = load_config(_config(tmp_path, {"sops": ["jatim-*"]}))
    with pytest.raises(InputError, match=r"sops\[0\]: no SOP matches 'jatim-\*'"):
        config.selected_sops(registry)
    polman = _config(tmp_path, {"sops": ["polman-*"]})
    result = sigap("--config", str(polman), "run", "kaltim-monitoring-website", "--once")
    assert result.returncode == 2 and "not one of this office's sops" in result.stderr


def test_check_packages_bring_their_own_operator_section(tmp_path):
    # A new kind's section comes with its checks package (OPERATOR_SECTION), not a line in agents/config.
    from agents.config.model import declared_sections
    from checks.link import LinkSettings
    from checks.snmp import SnmpSettings

    assert declared_sections() == {"link": LinkSettings, "snmp": SnmpSettings}
    assert load_config(_config(tmp_path, {"link": {"down_after": 5}})).link.down_after == 5
    with pytest.raises(InputError, match=r"link\.dwon_after: unknown key"):
        load_config(_config(tmp_path, {"link": {"dwon_after": 5}}))
    with pytest.raises(InputError, match="mikrotik: unknown key"):
        load_config(_config(tmp_path, {"mikrotik": {"window_minutes": 5}}))
