"""What an officer reads from the CLI, in Indonesian (default) and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "id": {
        "col_id": "ID",
        "col_steps": "Langkah",
        "col_auto": "Otom",
        "col_title": "Judul",
        "sop_count": "{n} SOP dalam registri.",
        "sop_source": "Sumber",
        "sop_number": "Nomor SOP",
        "sop_unit": "Unit",
        "sop_version": "Versi",
        "sop_pelaksana": "Pelaksana",
        "sop_schedule": "Jadwal",
        "sop_hours": "Jam kerja",
        "sop_legal": "Dasar hukum",
        "sop_related": "Keterkaitan",
        "sop_quals": "Kualifikasi pelaksana",
        "sop_equipment": "Peralatan/perlengkapan",
        "sop_warning": "Peringatan",
        "sop_recording": "Pencatatan dan pendataan",
        "sop_notes": "Catatan transkripsi",
        "step_actor": "Pelaksana",
        "step_inferred": "(direkonstruksi)",
        "step_inputs": "Kelengkapan",
        "step_time": "Waktu",
        "step_output": "Output",
        "step_remark": "Keterangan",
        "step_auto": "Otomatis",
        "step_illegible": "Sel tidak terbaca",
        "none": "-",
        "config_ok": "Konfigurasi valid: {path}",
        "config_office": "Kantor: {name} ({tz}, {label})",
        "config_db": "Basis data: {url}",
        "config_targets": "Target: {websites} situs web, {servers} server, {links} tautan, "
        "{devices} perangkat SNMP; "
        "{channels} kanal notifikasi",
        "db_upgraded": "Basis data {url}: revisi {before} -> {after}",
        "db_status": "Revisi basis data: {current} (terbaru: {head})",
        "run_done": "{sop} langkah {step}: {status} (step run #{run}). {summary}. Rekap: {output}. "
        "Kasus: {opened} dibuka, {updated} diperbarui, {resolved} selesai",
        "serve_header": f"{'Tugas':<48} {'Pemeriksaan':<15} {'Jalan berikutnya':<22} Catatan",
        "serve_disabled": "dinonaktifkan di konfigurasi; ",
        "serve_idle": "tidak dijadwalkan: tidak ada target untuk instans ini",
        "serve_catch_up": "terlewat jadwal {due}: dijalankan sekali saat mulai; ",
        "serve_skipped": "{n} jadwal terlewat dicatat sebagai dilewati",
        "serve_shared": "satu pengukuran juga untuk langkah {steps}; ",
        "effective_header": "Pengaturan efektif {sop} langkah {step} ({check}):",
        "effective_target": "  target {target}:",
        "web_cols": "Status|Umur|Berita terbaru|Sumber|Agenda|Lengkap|Situs",
        "web_days": "{n} hr",
    },
    "en": {
        "col_id": "ID",
        "col_steps": "Steps",
        "col_auto": "Auto",
        "col_title": "Title",
        "sop_count": "{n} SOPs in the registry.",
        "sop_source": "Source",
        "sop_number": "SOP number",
        "sop_unit": "Unit",
        "sop_version": "Version",
        "sop_pelaksana": "Roles",
        "sop_schedule": "Schedule",
        "sop_hours": "Working hours",
        "sop_legal": "Legal basis",
        "sop_related": "Related SOPs",
        "sop_quals": "Executor qualifications",
        "sop_equipment": "Equipment",
        "sop_warning": "Warning",
        "sop_recording": "Recording",
        "sop_notes": "Transcription notes",
        "step_actor": "Actor",
        "step_inferred": "(reconstructed)",
        "step_inputs": "Inputs",
        "step_time": "Time standard",
        "step_output": "Output",
        "step_remark": "Remark",
        "step_auto": "Automated",
        "step_illegible": "Illegible cells",
        "none": "-",
        "config_ok": "Config valid: {path}",
        "config_office": "Office: {name} ({tz}, {label})",
        "config_db": "Database: {url}",
        "config_targets": "Targets: {websites} websites, {servers} servers, {links} links, "
        "{devices} SNMP devices; "
        "{channels} notification channels",
        "db_upgraded": "Database {url}: revision {before} -> {after}",
        "db_status": "Database revision: {current} (head: {head})",
        "run_done": "{sop} step {step}: {status} (step run #{run}). {summary}. Recap: {output}. "
        "Cases: {opened} opened, {updated} updated, {resolved} resolved",
        "serve_header": f"{'Job':<48} {'Check':<15} {'Next run':<22} Note",
        "serve_disabled": "disabled in config; ",
        "serve_idle": "not scheduled: no targets for this instance",
        "serve_catch_up": "missed {due}: runs once at start; ",
        "serve_skipped": "{n} missed times recorded as skipped",
        "serve_shared": "one measurement also serves steps {steps}; ",
        "effective_header": "Effective settings of {sop} step {step} ({check}):",
        "effective_target": "  target {target}:",
        "web_cols": "Status|Age|Newest item|Source|Agenda|Complete|Site",
        "web_days": "{n} d",
    },
}


def get(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["id"])


def web_table(rows: list[dict], lang: str, zone) -> str:
    """`sigap check web` without --json: one line per site, then its problems indented."""
    from datetime import datetime

    t = get(lang)
    header = t["web_cols"].split("|")

    def local(value: str | None) -> str:
        return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "-"

    table = [header]
    for r in rows:
        age = t["web_days"].format(n=r["age_days"]) if r["age_days"] is not None else "-"
        score = f"{r['completeness']['score']}%" if r.get("completeness") else "-"
        table.append(
            [
                r["status"].upper(),
                age,
                local(r["latest_published"]),
                r["source"] or "-",
                local(r["agenda_updated"]),
                score,
                r["target"],
            ]
        )
    return check_table(table, [r["findings"] for r in rows])


def check_table(table: list[list[str]], findings: list[list[dict]]) -> str:
    """Header row then one row per target, each followed by its problems, indented."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for i, row in enumerate(table):
        lines.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i:
            lines += [f"    - {f['message']}" for f in findings[i - 1] if f["status"] != "ok"]
    return "\n".join(lines)
