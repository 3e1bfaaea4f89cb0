"""What a notification says, in Indonesian and English: headings, words, column names, units, days.

The one home of the notification's human text (house rule 9); messages.py and htmlpart.py put it
together.
"""

from __future__ import annotations

DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

HEADINGS = {
    "id": {
        "opened": "GANGGUAN",
        "reopened": "GANGGUAN TERULANG",
        "resolved": "PULIH",
        "breached": "LEWAT BATAS WAKTU",
        "escalated": "ESKALASI",
        "reminder": "PENGINGAT: belum ditanggapi",
        "assigned": "TUGAS",
        "started": "PROSEDUR DIMULAI",
    },
    "en": {
        "opened": "PROBLEM",
        "reopened": "PROBLEM AGAIN",
        "resolved": "RECOVERED",
        "breached": "DEADLINE PASSED",
        "escalated": "ESCALATION",
        "reminder": "REMINDER: not acknowledged",
        "assigned": "YOUR STEP",
        "started": "PROCEDURE STARTED",
    },
}

WORDS = {
    "id": {
        "case": "Kasus",
        "cases": "kasus",
        "finding": "Temuan",
        "sop": "SOP",
        "step": "langkah",
        "who": "Pelaksana",
        "due": "Batas waktu",
        "no_due": "tanpa batas waktu",
        "ack": "Tanggapi: sigap case ack {id} --by NAMA",
        "ack_many": "Tanggapi per kasus: sigap case ack ID --by NAMA",
        "more": "... dan {n} lainnya",
        "breach_was": "batas {due} terlewati",
        "level": "Diteruskan ke {roles} karena batas waktu langkah {step} terlewati",
        "open_for": "terbuka sejak {since}",
        "resolved_note": "Selesai",
        "target": "Target",
        "contact_note": "Anda menerima pesan ini sebagai kontak yang tercatat di {office}.",
        "col_opd": "OPD",
        "col_target": "Target",
        "col_what": "Yang gagal",
        "col_value": "Nilai dan batas",
        "col_step": "Langkah SOP",
        "col_who": "Pelaksana",
        "col_due": "Batas waktu",
        "limit": "batas {limit}",
    },
    "en": {
        "case": "Case",
        "cases": "cases",
        "finding": "Finding",
        "sop": "SOP",
        "step": "step",
        "who": "Who acts",
        "due": "Due",
        "no_due": "no deadline",
        "ack": "Acknowledge: sigap case ack {id} --by NAME",
        "ack_many": "Acknowledge each: sigap case ack ID --by NAME",
        "more": "... and {n} more",
        "breach_was": "due {due}, passed",
        "level": "Passed on to {roles}: the deadline of step {step} has passed",
        "open_for": "open since {since}",
        "resolved_note": "Resolved",
        "target": "Target",
        "contact_note": "You receive this as a contact on record at {office}.",
        "col_opd": "OPD",
        "col_target": "Target",
        "col_what": "What failed",
        "col_value": "Value and limit",
        "col_step": "SOP step",
        "col_who": "Who acts",
        "col_due": "Deadline",
        "limit": "limit {limit}",
    },
}

# The units checks give their values in (checks/finding.py `quantity`), as a reader says them. A
# unit not listed (a name, an address, ifOperStatus, an rcode, an issuer) is a label: the value
# speaks for itself ("down", "NXDOMAIN") and is shown alone.
UNITS = {
    "id": {
        "day": "hari",
        "pct": "%",
        "Mbps": "Mbps",
        "ms": "ms",
        "check": "pemeriksaan",
        "section": "bagian",
        "tick": "tick",
    },
    "en": {
        "day": "days",
        "pct": "%",
        "Mbps": "Mbps",
        "ms": "ms",
        "check": "checks",
        "section": "sections",
        "tick": "ticks",
    },
}
