"""The words of the second factor (TOTP) and of the sign-in through the provincial SSO (OpenID
Connect): merged into texts.TEXTS like texts_pages."""

from __future__ import annotations

AUTH_TEXTS: dict[str, dict[str, str]] = {
    "id": {
        # the login's second step
        "totp_login_title": "Kode verifikasi",
        "totp_login_intro": "Masukkan kode 6 digit dari aplikasi autentikator Anda untuk {name}.",
        "totp_code": "Kode 6 digit",
        "totp_login_submit": "Verifikasi",
        "totp_login_bad": "Kode salah atau sudah dipakai. Tunggu kode berikutnya lalu coba lagi.",
        "totp_login_expired": "Waktu untuk memasukkan kode sudah habis. Silakan masuk lagi.",
        "totp_login_other": "Bukan Anda? Masuk dengan akun lain",
        # the account's own page
        "nav_account": "Keamanan akun",
        "account_title": "Keamanan akun",
        "totp_title": "Verifikasi dua langkah (TOTP)",
        "totp_about": "Selain kata sandi, setiap kali masuk Sigap meminta kode 6 digit dari aplikasi "
        "autentikator di ponsel Anda (Google Authenticator, Microsoft Authenticator, FreeOTP, Aegis, "
        "dan sejenisnya). Kode berganti setiap 30 detik dan hanya berlaku sekali.",
        "totp_state_on": "Aktif sejak {when}.",
        "totp_state_off": "Belum aktif.",
        "totp_start": "Aktifkan verifikasi dua langkah",
        "totp_scan": "1. Pindai kode QR ini dengan aplikasi autentikator.",
        "totp_qr_alt": "Kode QR untuk aplikasi autentikator",
        "totp_manual": "Tidak bisa memindai? Masukkan kunci ini secara manual (berbasis waktu, 6 digit):",
        "totp_confirm_intro": "2. Ketik kode 6 digit yang ditampilkan aplikasi untuk mengonfirmasi.",
        "totp_confirm": "Konfirmasi dan aktifkan",
        "totp_confirm_bad": "Kode tidak cocok. Periksa jam ponsel Anda lalu ketik kode yang sedang tampil.",
        "totp_cancel": "Batalkan",
        "totp_enabled": "Verifikasi dua langkah aktif. Sesi lain akun ini telah diakhiri.",
        "totp_disable_intro": "Untuk menonaktifkan, masukkan kata sandi dan kode 6 digit saat ini.",
        "totp_disable": "Nonaktifkan verifikasi dua langkah",
        "totp_disable_bad": "Kata sandi atau kode salah.",
        "totp_disabled": "Verifikasi dua langkah dinonaktifkan.",
        "totp_lost": "Ponsel hilang? Admin dapat mengatur ulang dengan perintah "
        "sigap user totp NAMA --disable.",
        "totp_sso": "Akun ini masuk melalui SSO Provinsi; verifikasi dua langkahnya diatur di SSO Provinsi.",
        "totp_locked": "Terlalu banyak percobaan yang gagal. Coba lagi setelah {until}.",
        # the provincial SSO
        "oidc_label": "Masuk dengan SSO Provinsi",
        "oidc_or": "atau",
        "oidc_failed": "Masuk dengan SSO Provinsi gagal: tanda masuk dari SSO tidak sah. Silakan coba lagi.",
        "oidc_expired": "Permintaan masuk SSO sudah kedaluwarsa atau tidak cocok. Silakan coba lagi.",
        "oidc_unreachable": "SSO Provinsi tidak dapat dihubungi saat ini. Coba lagi nanti "
        "atau masuk dengan akun lokal.",
        "oidc_denied": "SSO Provinsi menolak permintaan masuk ({error}).",
        "oidc_no_role": "Akun SSO Anda belum memiliki peran di Sigap. Minta admin Diskominfo "
        "memberi Anda salah satu peran Sigap di SSO Provinsi.",
        "oidc_no_opd": "Akun SSO Anda berperan Admin OPD, tetapi OPD-nya belum dipetakan di Sigap. "
        "Hubungi admin Diskominfo.",
        "oidc_disabled": "Akun Anda dinonaktifkan di Sigap. Hubungi admin Diskominfo.",
    },
    "en": {
        "totp_login_title": "Verification code",
        "totp_login_intro": "Enter the 6-digit code from your authenticator app for {name}.",
        "totp_code": "6-digit code",
        "totp_login_submit": "Verify",
        "totp_login_bad": "Wrong code, or a code already used. Wait for the next code and try again.",
        "totp_login_expired": "The time to enter the code has run out. Please log in again.",
        "totp_login_other": "Not you? Log in with another account",
        "nav_account": "Account security",
        "account_title": "Account security",
        "totp_title": "Two-step verification (TOTP)",
        "totp_about": "Besides the password, Sigap asks at every login for a 6-digit code from the "
        "authenticator app on your phone (Google Authenticator, Microsoft Authenticator, FreeOTP, "
        "Aegis and the like). The code changes every 30 seconds and is good once.",
        "totp_state_on": "On since {when}.",
        "totp_state_off": "Not on.",
        "totp_start": "Turn on two-step verification",
        "totp_scan": "1. Scan this QR code with your authenticator app.",
        "totp_qr_alt": "QR code for the authenticator app",
        "totp_manual": "Cannot scan? Enter this key by hand (time-based, 6 digits):",
        "totp_confirm_intro": "2. Type the 6-digit code the app shows to confirm.",
        "totp_confirm": "Confirm and turn on",
        "totp_confirm_bad": "The code does not match. Check your phone's clock and type the code shown now.",
        "totp_cancel": "Cancel",
        "totp_enabled": "Two-step verification is on. Other sessions of this account were ended.",
        "totp_disable_intro": "To turn it off, enter your password and a current 6-digit code.",
        "totp_disable": "Turn off two-step verification",
        "totp_disable_bad": "Wrong password or code.",
        "totp_disabled": "Two-step verification is off.",
        "totp_lost": "Lost your phone? An admin can reset it with sigap user totp NAME --disable.",
        "totp_sso": "This account signs in through the provincial SSO; its two-step verification is "
        "set there.",
        "totp_locked": "Too many failed attempts. Try again after {until}.",
        "oidc_label": "Log in with the provincial SSO",
        "oidc_or": "or",
        "oidc_failed": "Login with the provincial SSO failed: the SSO's sign-in token is not valid. "
        "Please try again.",
        "oidc_expired": "The SSO login request expired or does not match. Please try again.",
        "oidc_unreachable": "The provincial SSO cannot be reached now. Try again later or log in "
        "with a local account.",
        "oidc_denied": "The provincial SSO refused the login request ({error}).",
        "oidc_no_role": "Your SSO account has no Sigap role yet. Ask the Diskominfo admin to give you "
        "one of Sigap's roles in the provincial SSO.",
        "oidc_no_opd": "Your SSO account is an OPD admin, but its OPD is not mapped in Sigap. "
        "Contact the Diskominfo admin.",
        "oidc_disabled": "Your account is disabled in Sigap. Contact the Diskominfo admin.",
    },
}
