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
    "needs_javascript": {
        "id": "Beranda hanya kerangka JavaScript ({framework}): berita baru tampil setelah skrip berjalan di "
        "peramban; tidak terukur tanpa `render: javascript` untuk situs ini",
        "en": "The home page is an empty JavaScript shell ({framework}): its news appears only once a "
        "browser runs its scripts; not measurable without `render: javascript` for this site",
    },
    "budget_exceeded": {
        "id": "Batas waktu atau jumlah permintaan untuk situs ini habis sebelum tanggal berita ditemukan",
        "en": "The site's time or request budget ran out before a news date was found",
    },
    "site_url_invalid": {
        "id": "Alamat situs tidak bisa dibuka: {detail}",
        "en": "The site's address cannot be opened: {detail}",
    },
    "content_injected": {
        "id": (
            "Konten judi online disisipkan ({technique_text}; {location}; tampak bagi {view_text}): "
            "{items_text}. Segera: hapus blok itu, ganti semua kata sandi (admin CMS, FTP/hosting, "
            "basis data), perbarui CMS, tema dan plugin"
        ),
        "en": (
            "Injected online-gambling content ({technique_text_en}; {location}; seen by {view_text_en}): "
            "{items_text}. First: remove the block, change every password (CMS admin, FTP/hosting, "
            "database), update the CMS, theme and plugins"
        ),
    },
    "site_defaced": {
        "id": (
            'Halaman depan diganti pihak lain (deface): "{signature}" ({location}). Segera: pulihkan '
            "dari cadangan yang bersih, ganti semua kata sandi, perbarui CMS dan plugin, cari berkas "
            "asing (webshell)"
        ),
        "en": (
            'Home page replaced (defaced): "{signature}" ({location}). First: restore a clean backup, '
            "change every password, update the CMS and plugins, look for foreign files (web shells)"
        ),
    },
    "content_clean": {
        "id": "Tidak ada konten judi sisipan atau deface (diperiksa: {view_text})",
        "en": "No injected gambling content or defacement (checked: {view_text_en})",
    },
    **INTERNAL_ERROR_TEMPLATES,
}

# How injected content was put where it is (checks/web/inject/model.TECHNIQUES): (id, en).
TECHNIQUE_TEXT = {
    "hidden_css": ("disembunyikan dengan CSS", "hidden by CSS"),
    "noscript": ("di dalam <noscript>", "inside <noscript>"),
    "after_html": ("setelah </html>", "after </html>"),
    "before_doctype": ("sebelum <!DOCTYPE>", "before <!DOCTYPE>"),
    "link_farm": ("kumpulan tautan keluar", "a farm of outbound links"),
    "spam_link": ("tautan keluar ke situs judi", "outbound gambling link"),
    "planted_page": ("halaman judi di situs sendiri", "gambling pages on the site itself"),
    "doorway": ("halaman pintu (doorway) per kata kunci", "a doorway kit, one page per keyword"),
    "meta": ("judul/meta halaman", "page title/meta"),
    "script_written": ("ditulis oleh skrip", "written by a script"),
    "lookalike": ("huruf tiruan/tersamar", "look-alike or disguised letters"),
    "visible_spam": ("teks promosi judi", "gambling advertising text"),
    "iframe": ("di dalam iframe", "inside an iframe"),
    "cloaking": (
        "cloaking: hanya untuk mesin pencari/pengunjung dari Google",
        "cloaking: search engine or Google visitors only",
    ),
    "redirect": ("pengalihan ke situs judi", "redirect to a gambling site"),
}
VIEW_TEXT = {
    "browser": ("browser", "browser"),
    "googlebot": ("Googlebot", "Googlebot"),
    "referer": ("pengunjung dari Google", "visitors from Google"),
    "mobile": ("ponsel", "phones"),
}


# How the crawl reached the page it read, when not directly: {source_text} (id), {source} (en).
_VIA = {"splash": ("lewat halaman pembuka", "via the splash page")}


def _names(table: dict[str, tuple[str, str]], keys: object, n: int) -> str:
    return (
        ", ".join(table.get(str(k), (str(k), str(k)))[n] for k in keys or [])
        if isinstance(keys, list)
        else "-"
    )


def _items(items: object) -> str:
    """The evidence items as one line: already defanged and bounded when the finding was made."""
    if not isinstance(items, list) or not items:
        return "-"
    shown = [str(i) for i in items[:5]]
    more = len(items) - len(shown)
    return "; ".join(shown) + (f" (+{more})" if more > 0 else "")


def render(finding: Finding, lang: str = "id") -> str:
    """The finding in words: the shared rendering, plus the date source named in Indonesian."""
    source = finding.params.get("source")
    source = "-" if source is None else str(source)
    params = {**finding.params, "source_text": _SOURCE_ID.get(source, source)}
    if finding.code in {"content_injected", "content_clean"}:
        techniques, views = finding.params.get("techniques"), finding.params.get("views")
        params.update(
            technique_text=_names(TECHNIQUE_TEXT, techniques, 0),
            technique_text_en=_names(TECHNIQUE_TEXT, techniques, 1),
            view_text=_names(VIEW_TEXT, views, 0),
            view_text_en=_names(VIEW_TEXT, views, 1),
            items_text=_items(finding.params.get("items")),
        )
    via = _VIA.get(str(finding.params.get("via")))
    if via:
        params.update(source_text=f"{params['source_text']} ({via[0]})", source=f"{source} ({via[1]})")
    return _render(TEMPLATES, replace(finding, params=params), lang)
