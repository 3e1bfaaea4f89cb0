"""What a person reads about a certificate finding, in Indonesian (default) and English."""

from ..finding import INTERNAL_ERROR_TEMPLATES

TEMPLATES: dict[str, dict[str, str]] = {
    "cert_ok": {
        "id": "Sertifikat berlaku {days_left} hari lagi (sampai {not_after}), penerbit {issuer}",
        "en": "Certificate valid for {days_left} more days (until {not_after}), issuer {issuer}",
    },
    "cert_expiring": {
        "id": "Sertifikat habis masa berlaku dalam {days_left} hari ({not_after}); "
        "segera perpanjang (batas {limit} hari)",
        "en": "Certificate expires in {days_left} days ({not_after}); renew it (limit {limit} days)",
    },
    "cert_expired": {
        "id": "Sertifikat sudah kedaluwarsa sejak {not_after} ({days_ago} hari lalu)",
        "en": "Certificate expired on {not_after} ({days_ago} days ago)",
    },
    "cert_not_yet_valid": {
        "id": "Sertifikat belum berlaku sampai {not_before} (jam server salah?)",
        "en": "Certificate not valid until {not_before} (server clock wrong?)",
    },
    "cert_hostname_mismatch": {
        "id": "Sertifikat tidak untuk nama {name}; berlaku untuk: {names}",
        "en": "Certificate is not for {name}; it covers: {names}",
    },
    "cert_self_signed": {
        "id": "Sertifikat ditandatangani sendiri (self-signed); browser pengunjung akan menolak",
        "en": "Self-signed certificate; visitors' browsers will refuse it",
    },
    "cert_chain_incomplete": {
        "id": "Rantai sertifikat tidak lengkap atau penerbit tidak dipercaya ({detail}); "
        "pasang sertifikat intermediate",
        "en": "Certificate chain incomplete or issuer not trusted ({detail}); "
        "install the intermediate certificate",
    },
    "cert_invalid": {
        "id": "Sertifikat ditolak: {detail}",
        "en": "Certificate rejected: {detail}",
    },
    "tls_unreachable": {
        "id": "Tidak bisa tersambung TLS ke {endpoint}: {detail}",
        "en": "Cannot make a TLS connection to {endpoint}: {detail}",
    },
    **INTERNAL_ERROR_TEMPLATES,
}
