"""Every word of the weekly report, in Indonesian (the default) and English."""

from __future__ import annotations

from collections.abc import Callable, Mapping

TEXTS: dict[str, dict[str, str]] = {
    "id": {
        "title": "Laporan Mingguan Monitoring TIK",
        "week": "Minggu ke-{n} tahun {year}",
        "period": "Periode",
        "generated": "Dibuat",
        "partial": "Minggu ini belum selesai: angka sampai {when}.",
        "summary": "Ringkasan",
        "no_data": "tidak ada data",
        "web": "Kesegaran Konten Website OPD",
        "web_from": "Hasil penelusuran {when}; dibandingkan dengan penelusuran {before}.",
        "web_from_first": "Hasil penelusuran {when}; belum ada penelusuran seminggu sebelumnya.",
        "web_none": "Tidak ada penelusuran website pada minggu ini.",
        "links": "Ketersediaan dan Utilisasi Tautan OPD",
        "outages": "Gangguan tautan",
        "no_outages": "Tidak ada gangguan tautan tercatat.",
        "dns": "Kesesuaian DNS dengan Daftar Alokasi IP",
        "dns_runs": (
            "{runs} kali pemeriksaan DNS, terakhir {when}: {found} ketidaksesuaian ditemukan, "
            "{fixed} sudah diperbaiki."
        ),
        "dns_clean": "Tidak ada ketidaksesuaian DNS.",
        "certs": "Sertifikat TLS",
        "certs_from": "Pemeriksaan {when}: {n} titik layanan.",
        "certs_clean": "Tidak ada sertifikat yang akan kedaluwarsa atau bermasalah.",
        "cases": "Kasus dan Kepatuhan Waktu (SLA)",
        "cases_line": (
            "{opened} kasus dibuka, {closed} diselesaikan, {open} masih terbuka; menunggu penyedia {wait}."
        ),
        "sla": "Kepatuhan batas waktu per langkah SOP",
        "no_cases": "Tidak ada kasus pada minggu ini.",
        "steps": "Pelaksanaan Langkah SOP",
        "missed": "Langkah yang terlewat atau gagal",
        "approval": "Persetujuan",
        "approval_text": "Telah menerima laporan ini dan menyetujui (SOP {sop} langkah 3, Disposisi).",
        "approved_by": "Disetujui oleh {by} pada {when}.",
        "approved_revision": " (revisi {n} laporan ini)",
        "revision": "revisi {n}",
        "kepala_bidang": "Kepala Bidang",
        "sign_place": "Tanda tangan",
        "page": "Halaman",
        "of": "dari",
        # summary tiles
        "s_sites": "Situs segar",
        "s_uptime": "Rata-rata ketersediaan tautan",
        "s_outages": "Gangguan tautan",
        "s_cases": "Kasus dibuka / selesai",
        "s_sla": "Tepat waktu (SLA)",
        "s_steps": "Langkah SOP terlaksana",
        # columns
        "c_opd": "OPD",
        "c_site": "Situs",
        "c_status": "Status",
        "c_latest": "Berita terbaru",
        "c_agenda": "Agenda terbaru",
        "c_age": "Umur (hari)",
        "c_change": "Dibanding minggu lalu",
        "c_complete": "Kelengkapan (%)",
        "c_stale": "Minggu berturut tidak diperbarui",
        "c_findings": "Temuan",
        "c_link": "Tautan",
        "c_provider": "Penyedia",
        "c_contract": "Kontrak (Mbps)",
        "c_uptime": "Ketersediaan (%)",
        "c_samples": "Sampel",
        "c_outages": "Gangguan",
        "c_downtime": "Lama putus",
        "c_mean": "Rata-rata unduh (Mbps)",
        "c_p95": "Persentil 95 unduh (Mbps)",
        "c_p95_pct": "P95 terhadap kontrak (%)",
        "c_under": "Di bawah kontrak",
        "c_util": "Utilisasi minggu ini",
        "c_start": "Mulai",
        "c_end": "Pulih",
        "c_duration": "Lama",
        "c_ongoing": "masih putus",
        "c_target": "Sasaran",
        "c_problem": "Masalah",
        "c_first": "Pertama terlihat",
        "c_fixed": "Diperbaiki",
        "c_not_fixed": "belum",
        "c_days_left": "Sisa hari",
        "c_valid_until": "Berlaku sampai",
        "c_case": "Kasus",
        "c_sop": "SOP",
        "c_step": "Langkah",
        "c_title": "Judul",
        "c_state": "Keadaan",
        "c_opened": "Dibuka",
        "c_closed": "Selesai",
        "c_wait": "Menunggu penyedia",
        "c_breached": "Lewat batas (langkah)",
        "c_role": "Pelaksana",
        "c_on_time": "Tepat waktu",
        "c_late": "Lewat batas",
        "c_pending": "Berjalan",
        "c_compliance": "Kepatuhan (%)",
        "c_agent": "Pemeriksaan",
        "c_runs": "Dijalankan",
        "c_done": "Terlaksana",
        "c_skipped": "Terlewat",
        "c_errors": "Gagal",
        "c_catch_up": "Susulan",
        "c_last": "Terakhir",
        "c_due": "Jadwal",
        "c_reason": "Alasan",
        "chart_fresh": "Umur berita terbaru per OPD (hari)",
        "chart_avail": "Ketersediaan harian per OPD (%)",
        "chart_util": "Utilisasi unduh rata-rata per 6 jam (% kontrak)",
        "days": "hari",
        "yes": "ya",
        "no": "tidak",
    },
    "en": {
        "title": "Weekly IT Monitoring Report",
        "week": "Week {n} of {year}",
        "period": "Period",
        "generated": "Generated",
        "partial": "This week is not over: figures up to {when}.",
        "summary": "Summary",
        "no_data": "no data",
        "web": "OPD Website Content Freshness",
        "web_from": "Crawl of {when}; compared with the crawl of {before}.",
        "web_from_first": "Crawl of {when}; no crawl a week earlier to compare with.",
        "web_none": "No website crawl this week.",
        "links": "OPD Link Availability and Utilisation",
        "outages": "Link outages",
        "no_outages": "No link outages recorded.",
        "dns": "DNS against the IP Allocation List",
        "dns_runs": "{runs} DNS checks, last {when}: {found} mismatches found, {fixed} fixed.",
        "dns_clean": "No DNS mismatches.",
        "certs": "TLS Certificates",
        "certs_from": "Check of {when}: {n} endpoints.",
        "certs_clean": "No certificates expiring or in trouble.",
        "cases": "Cases and Time Standards (SLA)",
        "cases_line": (
            "{opened} cases opened, {closed} resolved, {open} still open; waiting for providers {wait}."
        ),
        "sla": "Deadlines met per SOP step",
        "no_cases": "No cases this week.",
        "steps": "SOP Steps Performed",
        "missed": "Steps missed or failed",
        "approval": "Approval",
        "approval_text": "Received this report and approve it (SOP {sop} step 3, Disposition).",
        "approved_by": "Approved by {by} on {when}.",
        "approved_revision": " (revision {n} of this report)",
        "revision": "revision {n}",
        "kepala_bidang": "Head of Division",
        "sign_place": "Signature",
        "page": "Page",
        "of": "of",
        "s_sites": "Sites fresh",
        "s_uptime": "Mean link availability",
        "s_outages": "Link outages",
        "s_cases": "Cases opened / resolved",
        "s_sla": "On time (SLA)",
        "s_steps": "SOP steps performed",
        "c_opd": "OPD",
        "c_site": "Site",
        "c_status": "Status",
        "c_latest": "Newest item",
        "c_agenda": "Newest agenda",
        "c_age": "Age (days)",
        "c_change": "Since last week",
        "c_complete": "Completeness (%)",
        "c_stale": "Weeks stale in a row",
        "c_findings": "Findings",
        "c_link": "Link",
        "c_provider": "Provider",
        "c_contract": "Contract (Mbps)",
        "c_uptime": "Availability (%)",
        "c_samples": "Samples",
        "c_outages": "Outages",
        "c_downtime": "Time down",
        "c_mean": "Mean download (Mbps)",
        "c_p95": "95th pct download (Mbps)",
        "c_p95_pct": "P95 of contract (%)",
        "c_under": "Under-delivery",
        "c_util": "Utilisation this week",
        "c_start": "Start",
        "c_end": "Up again",
        "c_duration": "Duration",
        "c_ongoing": "still down",
        "c_target": "Target",
        "c_problem": "Problem",
        "c_first": "First seen",
        "c_fixed": "Fixed",
        "c_not_fixed": "not yet",
        "c_days_left": "Days left",
        "c_valid_until": "Valid until",
        "c_case": "Case",
        "c_sop": "SOP",
        "c_step": "Step",
        "c_title": "Title",
        "c_state": "State",
        "c_opened": "Opened",
        "c_closed": "Resolved",
        "c_wait": "Provider wait",
        "c_breached": "Deadline missed (step)",
        "c_role": "Role",
        "c_on_time": "On time",
        "c_late": "Late",
        "c_pending": "Running",
        "c_compliance": "Met (%)",
        "c_agent": "Check",
        "c_runs": "Runs",
        "c_done": "Done",
        "c_skipped": "Skipped",
        "c_errors": "Failed",
        "c_catch_up": "Catch-up",
        "c_last": "Last",
        "c_due": "Due",
        "c_reason": "Reason",
        "chart_fresh": "Age of newest item per OPD (days)",
        "chart_avail": "Daily availability per OPD (%)",
        "chart_util": "Mean download utilisation per 6 hours (% of contract)",
        "days": "days",
        "yes": "yes",
        "no": "no",
    },
}

STATUS = {
    "id": {
        "ok": "Baik",
        "warn": "Peringatan",
        "crit": "Kritis",
        "unknown": "Tidak terukur",
        None: "tidak ada data",
    },
    "en": {"ok": "OK", "warn": "Warning", "crit": "Critical", "unknown": "Unknown", None: "no data"},
}
WEB_STATUS = {
    "id": {**STATUS["id"], "ok": "Segar", "warn": "Kurang segar", "crit": "Tidak diperbarui"},
    "en": {**STATUS["en"], "ok": "Fresh", "warn": "Ageing", "crit": "Stale"},
}
CHANGE = {
    "id": {"better": "membaik", "worse": "memburuk", "same": "tetap", "new": "baru dipantau", None: "-"},
    "en": {"better": "better", "worse": "worse", "same": "same", "new": "newly watched", None: "-"},
}
CASE_STATE = {
    "id": {
        "open": "terbuka",
        "acknowledged": "ditanggapi",
        "escalated": "dieskalasi",
        "waiting_provider": "menunggu penyedia",
        "resolved": "selesai",
        "closed": "ditutup",
    },
    "en": {
        "open": "open",
        "acknowledged": "acknowledged",
        "escalated": "escalated",
        "waiting_provider": "waiting for provider",
        "resolved": "resolved",
        "closed": "closed",
    },
}
# `sigap report list`: the archive, a line per revision.
ARCHIVE = {
    "id": {
        "latest": "terbaru",
        "sent": "dikirim {n}x",
        "not_sent": "belum dikirim",
        "approved": "disetujui {by}",
        "not_approved": "belum disetujui",
        "none": "belum ada laporan",
        "sent_to": "terkirim ke",
    },
    "en": {
        "latest": "latest",
        "sent": "sent {n}x",
        "not_sent": "not sent",
        "approved": "approved by {by}",
        "not_approved": "not approved",
        "none": "no reports yet",
        "sent_to": "sent to",
    },
}
# The report's own steps; the check kinds' titles come from the agents layer (agents/kinds), which
# passes them in: a new kind needs no line here.
AGENT = {
    "id": {"weekly_report": "Laporan mingguan", "approval": "Persetujuan", None: "manual"},
    "en": {"weekly_report": "Weekly report", "approval": "Approval", None: "manual"},
}


def agent_namer(lang: str, kind_titles: Mapping[str, str] | None) -> Callable[[str | None], str]:
    names = {**AGENT.get(lang, AGENT["id"]), **(kind_titles or {})}
    return lambda agent: names.get(agent, agent or names[None])


# Step-run reasons the runner writes in English (log-friendly prefixes): shown in the reader's words.
_REASON_PREFIXES = {
    "id": (
        ("interrupted:", "terputus (layanan berhenti mendadak):"),
        ("cancelled:", "dibatalkan saat layanan dihentikan:"),
        ("disabled in config", "dinonaktifkan dalam konfigurasi"),
    ),
    "en": (),
}


def get(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["id"])


def reason(text: str | None, lang: str) -> str:
    if not text:
        return "-"
    for prefix, words in _REASON_PREFIXES.get(lang, ()):
        if text.startswith(prefix):
            return words + text[len(prefix) :]
    return text
