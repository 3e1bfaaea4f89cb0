from pathlib import Path

import pytest

from sop_registry.errors import InputError
from sop_registry.loader import BUNDLED_DIR, load_registry, load_sop_file
from sop_registry.yamlio import load_yaml_text

EXPECTED_IDS = {f"polman-{n:02d}" for n in range(1, 31)} | {
    "kaltim-monitoring-website",
    "kaltim-pemantik",
    "kaltara-pse",
}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_every_file_loads_with_stable_ids(registry):
    files = sorted(p.stem for p in BUNDLED_DIR.glob("*.yaml"))
    assert set(files) == EXPECTED_IDS
    assert set(registry) == EXPECTED_IDS


def _waktu(sop):
    return [(s.time_standard.amount, s.time_standard.unit) if s.time_standard else None for s in sop.steps]


def test_polman_15_network_maintenance(registry):
    sop = registry["polman-15"]
    assert sop.source.sop_number == "15/SOP-Diskominfo-SP/10/2019"
    assert _waktu(sop) == [(m, "minute") for m in (5, 10, 60, 60, 10, 10, 120, 10, 10)]
    assert sop.step(4).activity.startswith("Berkoordinasi dengan pihak penyedia layanan jaringan")
    assert sop.step(7).actors == ["Penyedia Layanan Jaringan"]


def test_kaltim_pemantik(registry):
    sop = registry["kaltim-pemantik"]
    assert len(sop.steps) == 14
    step3 = sop.step(3)
    assert (step3.time_standard.amount, step3.time_standard.unit) == (7, "day")
    assert step3.inputs == "Lembar Kuesioner" and step3.output == "Jawaban Kuesioner"
    assert sop.step(7).actors == ["Kab/Kota", "Tim Asesor"]
    assert sop.step(14).waktu == "2 hari"


def test_kaltim_website_monitoring(registry):
    sop = registry["kaltim-monitoring-website"]
    assert sop.schedule.day_of_week == "mon"
    assert [s.waktu for s in sop.steps] == ["10 menit", "120 menit", "10 menit", "15 menit"]
    assert sop.step(2).output == "Laporan rekapitulasi hasil monitoring"
    assert sop.step(3).output == "Disposisi" and sop.step(4).output == "Arsip"


def test_kaltara_working_hours(registry):
    hours = registry["kaltara-pse"].working_hours
    assert hours.timezone == "Asia/Makassar"
    windows = {tuple(w.days): (w.start.strftime("%H:%M"), w.end.strftime("%H:%M")) for w in hours.windows}
    assert windows == {("mon", "tue", "wed", "thu"): ("08:00", "16:00"), ("fri",): ("08:00", "16:30")}
    assert [s.waktu for s in registry["kaltara-pse"].steps] == [
        "60 menit",
        "60 menit",
        "150 menit",
        "180 menit",
    ]


def test_bandwidth_sop_mixes_units(registry):
    sop = registry["polman-13"]
    assert _waktu(sop)[5:] == [(1, "week"), (2, "week"), (180, "minute"), (30, "working_day")]


def test_illegible_cells_are_recorded_not_guessed(registry):
    step = registry["polman-14"].step(7)
    assert step.waktu is None and "waktu" in step.illegible
    assert any("g0 yionit" in n for n in step.notes)


def test_every_sop_is_complete(registry):
    for sop in registry.values():
        assert sop.title and sop.unit and sop.pelaksana and sop.legal_basis, sop.id
        assert sop.executor_qualifications and sop.equipment, sop.id
        for step in sop.steps:
            assert set(step.actors) <= set(sop.pelaksana), (sop.id, step.no)
            # an empty waktu is either a step the seed leaves without time or a recorded illegible cell
            if step.waktu is None and "waktu" not in step.illegible:
                assert step.output or step.inputs, (sop.id, step.no)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """\
id: office-01
version: "1"
title: Contoh
unit: Bidang TIP
source: {seed: none, organisation: Pemda, agency: Diskominfo}
pelaksana: [Teknisi]
steps:
  - no: 1
    activity: Periksa
    actors: [Teknisi]
    waktu: 10 menit
"""


def test_strict_schema_names_file_and_key(tmp_path):
    path = _write(
        tmp_path, "office-01", MINIMAL.replace("    waktu: 10 menit", "    waktu: 10 menit\n    wakt: 1")
    )
    with pytest.raises(InputError) as err:
        load_sop_file(path)
    assert str(err.value) == f"{path}: steps[0].wakt: unknown key"


def test_unreadable_waktu_is_an_error(tmp_path):
    path = _write(tmp_path, "office-01", MINIMAL.replace("10 menit", "secepatnya"))
    with pytest.raises(InputError, match=r"steps\[0\]\.waktu: .*secepatnya"):
        load_sop_file(path)


def test_actor_must_be_a_pelaksana(tmp_path):
    path = _write(tmp_path, "office-01", MINIMAL.replace("actors: [Teknisi]", "actors: [Kabid]"))
    with pytest.raises(InputError, match="not among pelaksana"):
        load_sop_file(path)


def test_id_must_match_file_name(tmp_path):
    path = _write(tmp_path, "office-02", MINIMAL)
    with pytest.raises(InputError, match="does not match the file name"):
        load_sop_file(path)


def test_office_sops_extend_the_registry_and_cannot_shadow(tmp_path):
    _write(tmp_path, "office-01", MINIMAL)
    assert "office-01" in load_registry([tmp_path])
    _write(tmp_path, "polman-15", MINIMAL.replace("office-01", "polman-15"))
    with pytest.raises(InputError, match="already defined"):
        load_registry([tmp_path])


def test_yaml_reader_avoids_yaml11_traps():
    data = load_yaml_text("no: 1\nend: 16:00\nflag: yes\non: off\n", "t")
    assert data == {"no": 1, "end": "16:00", "flag": "yes", "on": "off"}
    with pytest.raises(InputError, match="duplicate key 'a'"):
        load_yaml_text("a: 1\na: 2\n", "t")
