"""What a person reads about a web finding, in Indonesian (default) and English."""

from __future__ import annotations

from dataclasses import replace

from ..finding import INTERNAL_ERROR_TEMPLATES, Finding
from ..finding import render as _render

_SOURCE_ID = {
    "wp-json": "WordPress REST",
    "feed": "RSS/Atom",
    "meta:article:published_time": "metadata artikel",
    "json-ld": "JSON-LD",
    "time[datetime]": "tag <time>",
    "url:date": "tanggal di alamat URL",
    "html:label": "label tanggal di halaman",
    "html:list": "daftar berita",
    "html:article": "teks halaman artikel",
    "sitemap:lastmod": "sitemap (lastmod)",
}

TEMPLATES: dict[str, dict[str, str]] = {
    "content_fresh": {
        "id": "Berita/artikel terbaru {age} hari lalu (batas {limit} hari), sumber: {source_text}",
        "en": "Newest news/article is {age} days old (limit {limit} days), source: {source}",
    },
    "content_stale": {
        "id": "Berita/artikel terbaru {age} hari lalu, melewati batas {limit} hari",
        "en": "Newest news/article is {age} days old, beyond the {limit}-day limit",
    },
    "agenda_fresh": {
        "id": "Agenda terakhir diperbarui {age} hari lalu (batas {limit} hari)",
        "en": "Agenda last updated {age} days ago (limit {limit} days)",
    },
    "agenda_stale": {
        "id": "Agenda tidak diperbarui selama {age} hari (batas {limit} hari)",
        "en": "Agenda not updated for {age} days (limit {limit} days)",
    },
    "content_complete": {
        "id": "Konten wajib lengkap ({total} dari {total} bagian)",
        "en": "Required content complete ({total} of {total} sections)",
    },
    "content_incomplete": {
        "id": "Konten wajib {present} dari {total} bagian; belum ada: {missing}",
        "en": "Required content {present} of {total} sections; missing: {missing}",
    },
    "site_timeout": {
        "id": "Situs tidak menjawab dalam batas waktu ({detail})",
        "en": "Site did not answer in time ({detail})",
    },
    "site_unreachable": {
        "id": "Situs tidak dapat dihubungi: {detail}",
        "en": "Site unreachable: {detail}",
    },
    "redirect_loop": {
        "id": "Situs berputar dalam pengalihan (redirect) tanpa akhir: {detail}",
        "en": "Site redirects in a loop: {detail}",
    },
    "redirect_refused": {
        "id": "Pengalihan (redirect) situs ke alamat terlarang tidak diikuti: {target} ({detail})",
        "en": "Site redirect to a forbidden address not followed: {target} ({detail})",
    },
    "redirect_invalid": {
        "id": "Situs mengalihkan (redirect) ke alamat yang bukan http(s): {target}",
        "en": "Site redirects to an address that is not http(s): {target}",
    },
    "site_http_error": {
        "id": "Halaman depan menjawab galat HTTP {status}",
        "en": "Home page answered HTTP error {status}",
    },
    "site_not_html": {
        "id": "Halaman depan bukan halaman web (jenis: {detail})",
        "en": "Home page is not a web page (type: {detail})",
    },
    "robots_disallowed": {
        "id": "robots.txt situs melarang pemantauan; isi owned_by_office: true bila situs dikelola Pemda",
        "en": "The site's robots.txt forbids crawling; set owned_by_office: true if the office runs it",
    },
    "site_maintenance": {
        "id": 'Situs menampilkan halaman pemeliharaan atau halaman bawaan server ("{detail}")',
        "en": 'Site shows a maintenance or server default page ("{detail}")',
    },
    "no_date_found": {
        "id": "Tanggal berita/artikel tidak ditemukan (sudah dicoba: {tried})",
        "en": "No news/article date found (tried: {tried})",
    },
    "budget_exceeded": {
        "id": "Batas waktu atau jumlah permintaan untuk situs ini habis sebelum tanggal berita ditemukan",
        "en": "The site's time or request budget ran out before a news date was found",
    },
    "site_url_invalid": {
        "id": "Alamat situs tidak bisa dibuka: {detail}",
        "en": "The site's address cannot be opened: {detail}",
    },
    **INTERNAL_ERROR_TEMPLATES,
}


# How the crawl reached the page it read, when not directly: {source_text} (id), {source} (en).
_VIA = {"splash": ("lewat halaman pembuka", "via the splash page")}


def render(finding: Finding, lang: str = "id") -> str:
    """The finding in words: the shared rendering, plus the date source named in Indonesian."""
    source = finding.params.get("source")
    source = "-" if source is None else str(source)
    params = {**finding.params, "source_text": _SOURCE_ID.get(source, source)}
    via = _VIA.get(str(finding.params.get("via")))
    if via:
        params.update(source_text=f"{params['source_text']} ({via[0]})", source=f"{source} ({via[1]})")
    return _render(TEMPLATES, replace(finding, params=params), lang)
