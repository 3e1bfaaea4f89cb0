"""Reading a page for injected gambling content, without a network: the lexicon and its disguises,
what hides an element, what scripts write, the evidence as an admin reads it, and the CMS fixture
pages of tests/fixtures/web (rendered from real templates) read without a single false alarm."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.webfixtures import NOW, TZ

from checks.web.inject.evaluate import defang, injection_findings
from checks.web.inject.hidden import declarations, style_hiding
from checks.web.inject.lexicon import lexicon, printable
from checks.web.inject.model import InjectionEvidence, Suspect, WatchOptions
from checks.web.inject.script import decoded_texts, redirects
from checks.web.messages import TEMPLATES, render
from checks.web.parse import parse_html

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "web"
HOME = "http://127.0.0.1/"
LEX = lexicon()
ZONE = __import__("zoneinfo").ZoneInfo(TZ)


def scan(html: str, url: str = HOME, options: WatchOptions | None = None):
    page = parse_html(html.encode(), url, HOME, NOW, ZONE, watch=options or WatchOptions())
    assert page.scan is not None
    return page.scan


def techniques(html: str, **kw) -> list[str]:
    return [s.technique for s in scan(html, **kw).suspects]


# --- the lexicon -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "advert"),
    [
        ("SITUS SLOT GACOR MAXWIN hari ini", True),
        ("togel terpercaya deposit 10rb", True),
        ("𝐒𝐋𝐎𝐓 𝐆𝐀𝐂𝐎𝐑", True),
        ("s1ot g4cor", True),
        ("s\u200blot gacor", True),
        ("Ｓｌｏｔ Ｇａｃｏｒ", True),
        ("ѕlоt gacor", True),  # Cyrillic s and o
        ("Sosialisasi Bahaya Judi Online di Kecamatan", False),
        ("Polres Bulungan tangkap bandar togel", False),
        ("Satgas memblokir situs dengan kata kunci slot gacor dan maxwin", False),
        ("Slot waktu layanan Mal Pelayanan Publik", False),
        ("Kuota slot PPDB SMP 2026", False),
        ("Dokumen RTP kawasan pesisir", False),
        ("Lomba kicau burung gacor", False),
        ("Petugas taruhan nyawa di Bandar Udara", False),
    ],
)
def test_what_advertises_gambling(text: str, advert: bool) -> None:
    assert LEX.verdict(text).advert is advert, LEX.verdict(text)


def test_every_phrase_is_found_alone_or_beside_a_stem() -> None:
    # The quick look searches stems only; a phrase without one is looked for near another.
    for term in LEX.promo + LEX.topic:
        assert term in LEX.verdict(term).terms or term in LEX.verdict(f"slot88 {term} togel").terms, term


def test_disguises_are_told_apart_from_plain_words() -> None:
    assert LEX.disguised("𝐒𝐋𝐎𝐓 𝐆𝐀𝐂𝐎𝐑") and LEX.disguised("s1ot g4cor") and LEX.disguised("s\u200blot gacor")
    assert not LEX.disguised("slot gacor") and not LEX.disguised("Sosialisasi judi online")


def test_hosts_and_defacers() -> None:
    assert LEX.gambling_host("slot-gacor88.example") and LEX.gambling_host("TOGEL4D.example")
    assert (
        LEX.gambling_host("dinkes.bulungan.go.id") is None and LEX.gambling_host("fototoko.example") is None
    )
    assert LEX.defacer("Hacked By ./KopiPahit07") == "hacked by"
    assert LEX.defacer("H4CK3D BY someone") and LEX.defacer("Kegiatan hackathon daerah") is None


def test_the_office_extends_the_lexicon() -> None:
    page = "<html><body><p>x</p><div style='display:none'>kopi77 login kopi77 daftar</div></body></html>"
    assert techniques(page) == []
    assert techniques(page, options=WatchOptions(extra_terms=("kopi77",))) == ["hidden_css"]
    # ... and its own counter words make a text editorial
    extra = lexicon(extra_counter=("razia gabungan",))
    assert extra.verdict("razia gabungan situs slot gacor").counter == ("razia gabungan",)


def test_printable_drops_what_hides_or_reorders_text() -> None:
    assert printable("slot\u202egacor\u200b\n\x07ok") == "slotgacor ok"
    assert len(printable("x" * 500)) == 80


# --- what hides an element -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "reason"),
    [
        ("display: none", "display:none"),
        ("visibility:hidden", "visibility:hidden"),
        ("opacity:0", "opacity:0"),
        ("position:absolute;left:-9999px", "left:-9999px"),
        ("text-indent:-5000px", "text-indent:-5000px"),
        ("font-size:0px;line-height:0", "font-size:0"),
        ("height:0;overflow:hidden", "height:0;overflow:hidden"),
        ("width:1px;height:1px;overflow:hidden", "height:0;overflow:hidden"),
        ("color:#fff;background-color:#FFFFFF", "color:#ffffff on #ffffff"),
        ("color:white;background:white", "color:#ffffff on #ffffff"),
    ],
)
def test_hiding_styles(style: str, reason: str) -> None:
    assert style_hiding(declarations(style)) == reason


@pytest.mark.parametrize(
    "style",
    [
        "display:block",
        "position:absolute;left:10px",
        "font-size:12px",
        "color:#333;background:#fff",
        "opacity:0.8",
    ],
)
def test_visible_styles(style: str) -> None:
    assert style_hiding(declarations(style)) is None


def test_screen_reader_text_is_not_hiding_but_its_outbound_spam_still_counts() -> None:
    legit = "<html><body><span class='screen-reader-text'>Judi Online</span><p>ok</p></body></html>"
    assert techniques(legit) == []
    spam = "<html><body><span class='sr-only'><a href='https://gacor.example/'>slot gacor</a></span></body>"
    assert techniques(spam) == ["spam_link"]


# --- scripts -------------------------------------------------------------------------------------


def test_scripts_are_decoded_not_run() -> None:
    assert "<a href" in decoded_texts('document.write(atob("PGEgaHJlZj0ieCI+eTwvYT4="))')[0]
    assert decoded_texts("document.write(String.fromCharCode(115,108,111,116))") == ["slot"]
    assert "slot gacor" in decoded_texts('document.write(unescape("%73lot%20gacor"))')
    assert "<b>slot</b>" in decoded_texts(r'el.innerHTML = "\x3cb\x3eslot\x3c/b\x3e"')[0]
    assert decoded_texts('var img = atob("' + "A" * 60 + '")') == []  # no text: noise is not kept


def test_redirects_and_their_conditions() -> None:
    mobile = (
        'if (/Android|iPhone/i.test(navigator.userAgent)) { window.location.href = "https://x.example/"; }'
    )
    assert redirects(mobile) == [("https://x.example/", "mobile")]
    referer = 'if (document.referrer.indexOf("google") > -1) location.replace("https://y.example/")'
    assert redirects(referer) == [("https://y.example/", "referer")]
    assert redirects('location.href = "#top"') == []


def test_a_legitimate_script_redirect_on_the_site_itself_is_nothing() -> None:
    page = "<html><head><script>window.location = '/portal/';</script></head><body></body></html>"
    assert scan(page).redirect is None


# --- evidence --------------------------------------------------------------------------------------


def test_links_are_defanged_words_kept() -> None:
    assert defang("https://slot-gacor88.example/daftar?x=1") == "hxxps://slot-gacor88[.]example/daftar?x=1"
    assert defang("http://127.0.0.1:8080/a") == "hxxp://127[.]0[.]0[.]1:8080/a"
    assert defang("slot gacor") == "slot gacor"
    assert defang("javascript:alert(1)") == "javascript:alert(1)"  # no scheme to defang, never linked


def test_findings_and_their_messages() -> None:
    block = Suspect(
        "after_html", "setelah </html>", HOME, ["https://a.example/x"], ["slot gacor"], "display:none"
    )
    ev = InjectionEvidence(checked=True, suspects=[block], views=["browser"])
    (found,) = injection_findings(ev)
    assert found.code == "content_injected" and found.status == "crit"
    assert found.params["items"] == ["hxxps://a[.]example/x", "slot gacor"]
    assert found.params["block_hash"] == block.key
    assert "setelah </html>" in render(found, "id") and "hxxps://a[.]example/x" in render(found, "id")
    assert "remove the block" in render(found, "en")
    defaced = InjectionEvidence(checked=True, defacement=("Hacked By X", "<title>", HOME))
    (d,) = injection_findings(defaced)
    assert d.code == "site_defaced" and "Hacked By X" in render(d, "id") and "web shells" in render(d, "en")
    (clean,) = injection_findings(InjectionEvidence(checked=True, views=["browser", "googlebot"]))
    assert clean.code == "content_clean" and clean.status == "ok"
    assert render(clean, "id") == "Tidak ada konten judi sisipan atau deface (diperiksa: browser, Googlebot)"
    assert injection_findings(InjectionEvidence()) == []  # not checked: nothing said
    for code in ("content_injected", "site_defaced", "content_clean"):
        assert set(TEMPLATES[code]) == {"id", "en"}


def test_a_block_found_twice_is_one_block_seen_twice() -> None:
    a = Suspect("hidden_css", "body > div#f", HOME, ["https://a.example/"], ["slot gacor"])
    b = Suspect(
        "hidden_css", "body > div#f", HOME, ["https://a.example/"], ["slot gacor"], views=["googlebot"]
    )
    (found,) = injection_findings(InjectionEvidence(checked=True, suspects=[a, b]))
    assert found.params["count"] == 1 and found.params["views"] == ["browser", "googlebot"]


def test_evidence_is_bounded() -> None:
    links = [f"https://s{i}.example/" + "x" * 500 for i in range(40)]
    block = Suspect("link_farm", "body > footer", HOME, links, ["slot gacor"] * 40)
    (found,) = injection_findings(InjectionEvidence(checked=True, suspects=[block] * 30))
    assert len(found.params["items"]) <= 10 and all(len(i) <= 160 for i in found.params["items"])
    assert len(found.params["blocks"]) <= 10


# --- real templates: no false alarm ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.html")))
def test_cms_fixture_pages_raise_no_alarm(name: str) -> None:
    result = scan((FIXTURES / name).read_text(encoding="utf-8", errors="replace"))
    assert result.suspects == [] and result.defacement is None and result.redirect is None


def test_hostile_pages_stay_cheap() -> None:
    # Found by measuring: a braceless 200 KB <style> (a regular expression backtracked for minutes),
    # 3,000 spam paragraphs (each re-read its page's whole text: 92 s), a run of "<" with no ">".
    import time

    pages = [
        "<html><head><style>" + "a" * 200_000 + "</style></head><body>x</body></html>",
        "<html><body>" + "<p>slot gacor slot gacor</p>" * 3000 + "</body></html>",
        "<html><body>"
        + "".join(f"<p>Sosialisasi bahaya judi online slot gacor {i}</p>" for i in range(3000)),
        "<html><body>x</body></html>" + "<" * 200_000,
        "<html><body><p style='" + "a" * 100_000 + "'>slot gacor</p></body></html>",
    ]
    for html in pages:
        started = time.process_time()
        result = scan(html)
        assert time.process_time() - started < 3.0, html[:60]
        assert len(result.suspects) <= 20
