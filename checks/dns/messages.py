"""What a person reads about a DNS/IP finding, in Indonesian (default) and English."""

from ..finding import INTERNAL_ERROR_TEMPLATES

TEMPLATES: dict[str, dict[str, str]] = {
    "dns_ok": {
        "id": "Entri DNS sesuai daftar penggunaan IP: {observed}",
        "en": "DNS entries match the IP-allocation list: {observed}",
    },
    "dns_record_missing": {
        "id": "{name} tidak punya entri A/AAAA di DNS ({rcode}); dialokasikan: {allocated}",
        "en": "{name} has no A/AAAA record in DNS ({rcode}); allocated: {allocated}",
    },
    "dns_wrong_address": {
        "id": "{name} menunjuk ke {wrong}, bukan ke IP yang dialokasikan {allocated}",
        "en": "{name} points to {wrong}, not to the allocated {allocated}",
    },
    "dns_address_missing": {
        "id": "{name} tidak punya entri untuk IP yang dialokasikan {missing}",
        "en": "{name} has no record for the allocated {missing}",
    },
    "dns_extra_address": {
        "id": "{name} juga menunjuk ke {extra}, yang tidak ada di daftar penggunaan IP",
        "en": "{name} also points to {extra}, which is not in the IP-allocation list",
    },
    "ptr_missing": {
        "id": "IP {ip} tidak punya entri PTR (reverse DNS); seharusnya {name}",
        "en": "IP {ip} has no PTR (reverse DNS) record; expected {name}",
    },
    "ptr_mismatch": {
        "id": "PTR untuk IP {ip} menunjuk ke {ptr}, bukan ke {name}",
        "en": "PTR of IP {ip} points to {ptr}, not to {name}",
    },
    "dns_orphan": {
        "id": "Entri DNS {name} ({observed}) tidak ada di daftar penggunaan IP",
        "en": "DNS record {name} ({observed}) is not in the IP-allocation list",
    },
    "ip_claimed_twice": {
        "id": "IP {ip} juga dipakai oleh {other}: satu IP diklaim dua nama",
        "en": "IP {ip} is also claimed by {other}: two names on one address",
    },
    "dns_server_error": {
        "id": "Server DNS {server} menjawab {rcode} untuk {name} ({rdtype})",
        "en": "DNS server {server} answered {rcode} for {name} ({rdtype})",
    },
    "dns_no_answer": {
        "id": "Tidak ada server DNS yang menjawab untuk {name}: {detail}",
        "en": "No DNS server answered for {name}: {detail}",
    },
    "dns_servers_disagree": {
        "id": "Server DNS berbeda jawaban untuk {name} ({rdtype}): {detail}",
        "en": "DNS servers disagree on {name} ({rdtype}): {detail}",
    },
    "soa_serial_mismatch": {
        "id": "Server otoritatif zona {zone} tidak sinkron (serial SOA: {detail})",
        "en": "Authoritative servers of zone {zone} are out of sync (SOA serials: {detail})",
    },
    "zone_unreachable": {
        "id": "SOA zona {zone} tidak bisa dibaca dari {server}: {rcode}",
        "en": "Cannot read the SOA of zone {zone} from {server}: {rcode}",
    },
    "zone_transfer_refused": {
        "id": "Transfer zona {zone} (AXFR) ditolak ({reason}): entri DNS tanpa alokasi tidak dicari di zona "
        "ini; izinkan AXFR dari alamat Sigap, atau atur dns.zone_transfer: false bila memang tidak boleh",
        "en": "Zone transfer (AXFR) of {zone} refused ({reason}): records with no allocation are not "
        "searched for in this zone; allow AXFR from Sigap's address, or set dns.zone_transfer: false",
    },
    "zone_transfer_failed": {
        "id": "Transfer zona {zone} (AXFR) gagal ({reason}): entri DNS tanpa alokasi tidak dicari di "
        "zona ini",
        "en": "Zone transfer (AXFR) of {zone} failed ({reason}): records with no allocation are not "
        "searched for in this zone",
    },
    "zone_records_skipped": {
        "id": "{count} entri zona {zone} tidak dapat dibaca dan dilewati saat transfer ({detail})",
        "en": "{count} record(s) of zone {zone} could not be read and were skipped in the transfer "
        "({detail})",
    },
    **INTERNAL_ERROR_TEMPLATES,
}
