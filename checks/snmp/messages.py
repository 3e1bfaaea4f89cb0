"""What a person reads about an SNMP finding, in Indonesian (default) and English."""

from ..finding import INTERNAL_ERROR_TEMPLATES

TEMPLATES: dict[str, dict[str, str]] = {
    "bw_measured": {
        "id": "Lalu lintas masuk {in} Mbps, keluar {out} Mbps",
        "en": "Traffic in {in} Mbps, out {out} Mbps",
    },
    "bw_contract": {
        "id": "Lalu lintas masuk {in} Mbps, keluar {out} Mbps; unduh {down_pct}%, unggah {up_pct}% "
        "dari kontrak {contract} Mbps",
        "en": "Traffic in {in} Mbps, out {out} Mbps; download {down_pct}%, upload {up_pct}% "
        "of the {contract} Mbps contract",
    },
    "bw_over_use": {
        "id": "Pemakaian {arah} di atas {limit}% kontrak {contract} Mbps selama {minutes} menit "
        "(terendah {pct}%): kebutuhan bandwidth OPD melebihi yang tersedia",
        "en": "{way} use above {limit}% of the {contract} Mbps contract for {minutes} minutes "
        "(lowest {pct}%): the OPD needs more bandwidth than it has",
    },
    "bw_under_delivery": {
        "id": "Lalu lintas {arah} tertahan datar di {level} Mbps ({pct}% kontrak {contract} Mbps) "
        "selama {minutes} menit: penyedia diduga tidak memberikan bandwidth sesuai kontrak",
        "en": "{way} traffic held flat at {level} Mbps ({pct}% of the {contract} Mbps contract) "
        "for {minutes} minutes: the provider seems not to deliver the contracted bandwidth",
    },
    "if_down": {
        "id": "Antarmuka {name} mati (status {oper}; pemeriksaan sebelumnya: {was})",
        "en": "Interface {name} is down (status {oper}; previous check: {was})",
    },
    "if_admin_down": {
        "id": "Antarmuka {name} dimatikan secara administratif",
        "en": "Interface {name} is administratively down",
    },
    "if_not_up": {
        "id": "Antarmuka {name} tidak aktif (status {oper})",
        "en": "Interface {name} is not up (status {oper})",
    },
    "speed_changed": {
        "id": "Kecepatan port berubah dari {old} Mbps menjadi {new} Mbps",
        "en": "Port speed changed from {old} Mbps to {new} Mbps",
    },
    "speed_below_contract": {
        "id": "Kecepatan port {speed} Mbps di bawah kontrak {contract} Mbps: kontrak tidak mungkin tercapai",
        "en": "Port speed {speed} Mbps is below the {contract} Mbps contract: it can never be reached",
    },
    "speed_suspect": {
        "id": "Kecepatan port {name} yang dilaporkan perangkat ({speed} Mbps) lebih rendah dari lalu lintas "
        "terukur ({seen} Mbps): nilai itu diragukan, bukan batas, dan laju tetap dihitung; isi speed_mbps "
        "pada tautan bila kecepatan sebenarnya diketahui",
        "en": "The speed the device reports for port {name} ({speed} Mbps) is below the measured traffic "
        "({seen} Mbps): it looks like a placeholder, not a limit, and the rate is kept; set speed_mbps "
        "on the link if the real speed is known",
    },
    "no_counters": {
        "id": "Antarmuka {name} tidak memiliki penghitung oktet (ifHCInOctets/ifInOctets)",
        "en": "Interface {name} has no octet counters (ifHCInOctets/ifInOctets)",
    },
    "counter_discontinuity": {
        "id": "Tidak ada laju untuk interval ini: penghitung tidak bersambung ({reason})",
        "en": "No rate for this interval: the counters are discontinuous ({reason})",
    },
    "device_ok": {
        "id": "Perangkat menjawab: {count} antarmuka, {requests} permintaan SNMP",
        "en": "Device answered: {count} interfaces, {requests} SNMP requests",
    },
    "device_rebooted": {
        "id": "Perangkat baru dinyalakan ulang (uptime {uptime} menit): laju interval ini dilewati",
        "en": "Device restarted (uptime {uptime} minutes): this interval's rate is skipped",
    },
    "device_unreachable": {
        "id": "Perangkat {host} tidak menjawab SNMP: {error}",
        "en": "Device {host} does not answer SNMP: {error}",
    },
    "no_interfaces": {
        "id": "Perangkat {host} menjawab tetapi tidak memberikan tabel antarmuka (IF-MIB)",
        "en": "Device {host} answers but gives no interface table (IF-MIB)",
    },
    "interface_missing": {
        "id": "Antarmuka yang dikonfigurasi (ifIndex {index}, nama {name}) tidak ada di perangkat {device}",
        "en": "The configured interface (ifIndex {index}, name {name}) is not on device {device}",
    },
    # --- MikroTik queues (queue_eval.py): "unduh" is always the traffic towards the OPD
    "queue_measured": {
        "id": "Antrean {name}: unduh {down} Mbps, unggah {up} Mbps",
        "en": "Queue {name}: download {down} Mbps, upload {up} Mbps",
    },
    "queue_contract": {
        "id": "Antrean {name}: unduh {down} Mbps ({down_pct}%), unggah {up} Mbps ({up_pct}%) "
        "dari kontrak {contract} Mbps",
        "en": "Queue {name}: download {down} Mbps ({down_pct}%), upload {up} Mbps ({up_pct}%) "
        "of the {contract} Mbps contract",
    },
    "queue_limit_mismatch": {
        "id": "Max-limit antrean {name} (unduh {limit_down} Mbps, unggah {limit_up} Mbps; 0 = tanpa batas) "
        "tidak sama dengan kontrak (unduh {contract_down} Mbps, unggah {contract_up} Mbps): sesuaikan "
        "antrean atau data kontrak",
        "en": "Queue {name}'s max-limit (download {limit_down} Mbps, upload {limit_up} Mbps; 0 = unlimited) "
        "differs from the contract (download {contract_down} Mbps, upload {contract_up} Mbps): correct "
        "the queue or the contract figures",
    },
    "queue_saturated": {
        "id": "Lalu lintas {arah} antrean {name} tertahan di batas antrean sendiri ({limit} Mbps; terendah "
        "{pct}% dari batas) selama {minutes} menit: OPD dibatasi oleh antrean kita, bukan oleh penyedia",
        "en": "{way} traffic of queue {name} held at the queue's own limit ({limit} Mbps; lowest {pct}% of "
        "it) for {minutes} minutes: the OPD is capped by our queue, not by the provider",
    },
    "queue_missing": {
        "id": "Antrean {name} yang diikat ke tautan ini tidak ada di {device} (dicari di: {where}): "
        "antrean dihapus atau diganti nama",
        "en": "Queue {name} bound to this link is not on {device} (looked in: {where}): the queue was "
        "removed or renamed",
    },
    "queue_disabled": {
        "id": "Antrean {name} di {device} dinonaktifkan: OPD tidak dibatasi dan lalu lintasnya tidak terukur",
        "en": "Queue {name} on {device} is disabled: the OPD is not shaped and its traffic is not measured",
    },
    "queue_reset": {
        "id": "Antrean {name}: penghitung kembali dari awal ({reason}; antrean dibuat ulang atau direset): "
        "laju interval ini dilewati",
        "en": "Queue {name}: its counters started again ({reason}; the queue was re-created or reset): "
        "this interval's rate is skipped",
    },
    "queue_limit_unread": {
        "id": "Max-limit antrean {name} tidak terbaca ({reason}): batas dan kejenuhannya tidak diperiksa",
        "en": "Queue {name}'s max-limit was not read ({reason}): its limit and saturation are not checked",
    },
    "routeros_api_failed": {
        "id": "API RouterOS {url} tidak terbaca: {error}; max-limit antrean tidak diketahui",
        "en": "The RouterOS API {url} could not be read: {error}; the queues' max-limit is unknown",
    },
    "queue_walk_failed": {
        "id": "Tabel antrean MikroTik di {host} tidak terbaca lewat SNMP: {error}",
        "en": "The MikroTik queue tables of {host} could not be read over SNMP: {error}",
    },
    **INTERNAL_ERROR_TEMPLATES,
}
