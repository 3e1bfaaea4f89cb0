"""What the bot says, Indonesian and English (one home for the chat's words, house rule 9)."""

from __future__ import annotations

# Button labels are contracts (issue 19): Tanggapi, Tunda (penyedia), Selesai.
BUTTONS = {
    "id": {"ack": "Tanggapi", "hold": "Tunda (penyedia)", "resolve": "Selesai", "open": "Buka di konsol"},
    "en": {"ack": "Acknowledge", "hold": "Hold (provider)", "resolve": "Resolve", "open": "Open in console"},
}

TEXTS = {
    "id": {
        "done.ack": "Kasus #{case} ditanggapi oleh {by}, {at}",
        "done.hold": "Kasus #{case} ditunda menunggu {provider}{ticket} oleh {by}, {at}",
        "done.resolve": "Kasus #{case} diselesaikan oleh {by}, {at}: {note}",
        "ticket": " (tiket {ticket})",
        "done.other": "Kasus #{case} {what} oleh {by}, {at}",
        "what.provider_returned": "dilanjutkan (penyedia selesai)",
        "what.step_done": "langkahnya selesai",
        "what.resolved": "selesai",
        "what.reopened": "dibuka kembali",
        "what.closed": "ditutup",
        "what.escalated": "dieskalasi",
        "ask.hold": "Kasus #{case}: penyedia dan nomor tiketnya? Balas pesan ini, misalnya: Telkom TKT-123",
        "ask.resolve": "Kasus #{case}: catatan penyelesaian (satu baris)? Balas pesan ini.",
        "asked": "Silakan balas pertanyaan di obrolan.",
        "need.case": "Tulis nomor kasusnya, misalnya: {example}",
        "need.provider": "Tulis penyedianya, misalnya: TUNDA {case} Telkom TKT-123",
        "need.note": "Tulis catatannya, misalnya: SELESAI {case} kabel putus sudah disambung",
        "conflict": "Kasus #{case} tidak bisa: {why}",
        "already.ack": "Kasus #{case} sudah ditanggapi{by}.",
        "already.by": " oleh {by}",
        "not_found": "Kasus #{case} tidak ditemukan.",
        "forbidden": "Anda tidak berwenang untuk itu pada kasus #{case}.",
        "unmapped": "Akun ini tidak terdaftar di Sigap. Minta admin menambahkannya.",
        "unknown": "Perintah tidak dikenal. Ketik /bantuan.",
        "none_open": "Tidak ada kasus terbuka untuk Anda.",
        "cases.head": "Kasus terbuka ({count}), menurut sisa waktu SLA:",
        "left": "sisa {minutes} menit",
        "overdue": "LEWAT {minutes} menit",
        "no_deadline": "tanpa tenggat",
        "paused": "menunggu penyedia",
        "status": (
            "Status {office}, minggu ini ({week}):\n"
            "Kasus terbuka: {open} (lewat tenggat: {breached}, menunggu penyedia: {waiting})\n"
            "Dibuka minggu ini: {opened}, selesai: {resolved}"
        ),
        "help": (
            "Perintah Sigap:\n"
            "/kasus - kasus terbuka Anda, menurut sisa waktu SLA\n"
            "/status - ringkasan minggu ini\n"
            "/ack 12 - tanggapi kasus 12\n"
            "/tunda 12 Telkom TKT-123 - tunda menunggu penyedia\n"
            "/selesai 12 catatan - selesaikan kasus 12\n"
            "/bantuan - pesan ini"
        ),
        "help.wa": (
            "Perintah Sigap (balas pesan ini):\n"
            "KASUS - kasus terbuka Anda\n"
            "STATUS - ringkasan minggu ini\n"
            "ACK 12 - tanggapi kasus 12\n"
            "TUNDA 12 Telkom TKT-123 - tunda menunggu penyedia\n"
            "SELESAI 12 catatan - selesaikan kasus 12"
        ),
        "wa.hint": "Balas: ACK {case} | TUNDA {case} <penyedia> <tiket> | SELESAI {case} <catatan>",
    },
    "en": {
        "done.ack": "Case #{case} acknowledged by {by}, {at}",
        "done.hold": "Case #{case} on hold for {provider}{ticket} by {by}, {at}",
        "done.resolve": "Case #{case} resolved by {by}, {at}: {note}",
        "ticket": " (ticket {ticket})",
        "done.other": "Case #{case} {what} by {by}, {at}",
        "what.provider_returned": "resumed (provider done)",
        "what.step_done": "step done",
        "what.resolved": "resolved",
        "what.reopened": "reopened",
        "what.closed": "closed",
        "what.escalated": "escalated",
        "ask.hold": "Case #{case}: the provider and ticket number? Reply to this message: Telkom TKT-123",
        "ask.resolve": "Case #{case}: a one-line resolution note? Reply to this message.",
        "asked": "Please answer the question in the chat.",
        "need.case": "Give the case number, e.g.: {example}",
        "need.provider": "Give the provider, e.g.: HOLD {case} Telkom TKT-123",
        "need.note": "Give a note, e.g.: RESOLVE {case} cable spliced",
        "conflict": "Case #{case}: not possible: {why}",
        "already.ack": "Case #{case} was already acknowledged{by}.",
        "already.by": " by {by}",
        "not_found": "Case #{case} not found.",
        "forbidden": "You may not do that on case #{case}.",
        "unmapped": "This account is not a Sigap user. Ask an admin to add it.",
        "unknown": "Unknown command. Send /bantuan.",
        "none_open": "No open cases for you.",
        "cases.head": "Open cases ({count}), by SLA time left:",
        "left": "{minutes} min left",
        "overdue": "OVERDUE {minutes} min",
        "no_deadline": "no deadline",
        "paused": "waiting for the provider",
        "status": (
            "Status {office}, this week ({week}):\n"
            "Open cases: {open} (overdue: {breached}, waiting for the provider: {waiting})\n"
            "Opened this week: {opened}, resolved: {resolved}"
        ),
        "help": (
            "Sigap commands:\n"
            "/kasus - your open cases, by SLA time left\n"
            "/status - this week's summary\n"
            "/ack 12 - acknowledge case 12\n"
            "/tunda 12 Telkom TKT-123 - hold for the provider\n"
            "/selesai 12 note - resolve case 12\n"
            "/bantuan - this message"
        ),
        "help.wa": (
            "Sigap commands (reply to this message):\n"
            "KASUS - your open cases\n"
            "STATUS - this week's summary\n"
            "ACK 12 - acknowledge case 12\n"
            "TUNDA 12 Telkom TKT-123 - hold for the provider\n"
            "SELESAI 12 note - resolve case 12"
        ),
        "wa.hint": "Reply: ACK {case} | TUNDA {case} <provider> <ticket> | SELESAI {case} <note>",
    },
}


def say(lang: str, key: str, **values: object) -> str:
    table = TEXTS.get(lang) or TEXTS["id"]
    return table[key].format(**values)
