"""What a person reads about a link finding, in Indonesian (default) and English."""

from ..finding import INTERNAL_ERROR_TEMPLATES

TEMPLATES: dict[str, dict[str, str]] = {
    "link_up": {
        "id": "Tautan aktif: loss {loss_pct}%, RTT {rtt_ms} ms ({method})",
        "en": "Link up: {loss_pct}% loss, RTT {rtt_ms} ms ({method})",
    },
    "link_down": {
        "id": "Tautan putus: {fails} pemeriksaan berturut-turut tanpa balasan (batas {limit}), sejak {since}",
        "en": "Link down: {fails} checks in a row without reply (limit {limit}), since {since}",
    },
    "link_no_reply": {
        "id": "Tidak ada balasan dari {host} ({sent} probe {method}){detail}",
        "en": "No reply from {host} ({sent} {method} probes){detail}",
    },
    "link_failing": {
        "id": "Pemeriksaan gagal {fails} kali berturut-turut; dinyatakan putus setelah {limit} kali",
        "en": "Check failed {fails} times in a row; declared down after {limit}",
    },
    "link_unreachable": {
        "id": "Tidak terjangkau karena tautan induk {parent} putus (bukan gangguan tautan ini sendiri)",
        "en": "Unreachable because parent link {parent} is down (not a fault of this link)",
    },
    "link_loss": {
        "id": "Packet loss {loss_pct}% (batas {limit}%)",
        "en": "Packet loss {loss_pct}% (limit {limit}%)",
    },
    "link_rtt_high": {
        "id": "RTT rata-rata {rtt_ms} ms melewati batas {limit} ms",
        "en": "Average RTT {rtt_ms} ms is above the {limit} ms limit",
    },
    "link_flapping": {
        "id": "Tautan naik-turun: status berubah {flap_pct}% dari {n} pemeriksaan terakhir (batas {limit}%)",
        "en": "Link flapping: {flap_pct}% state change over the last {n} checks (limit {limit}%)",
    },
    **INTERNAL_ERROR_TEMPLATES,
}
