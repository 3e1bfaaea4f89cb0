"""The gambling lexicon: the words of judi online spam, their disguises, and the words around honest
reporting on gambling. Pure: text in, a verdict out. The word lists are data
(`checks/web/data/gambling.yaml`), extended by the office's config.

A lexicon alone cannot tell an OPD's article on "Sosialisasi Bahaya Judi Online" from spam: the
verdict says which words were found (advertising phrases, words of the subject, advertising and
counter words), and the scanner decides with the context it knows (hidden, off-site, many anchors,
a view only a crawler gets).

Speed: one regular expression of ~100 phrases with word boundaries costs ~7 ms per 10 KB of text, more
than BeautifulSoup's whole parse. So a page is first searched for a few dozen plain stems (`in` on its
bytes, digits folded to letters: ~0.5 ms for 60 KB), and phrases are then looked for only near a stem.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import yaml

# Characters that render as nothing, or reorder what is shown: dropped before matching, so that
# "s\u200blot" reads "slot". Bidi controls also make a text shown in a console lie about its order.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u2060\u2061\u2062\u2063\u2064\ufeff"
)
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Cyrillic and Greek letters that look like Latin ones (after casefold); NFKC already folds the
# mathematical alphanumerics (𝐒𝐋𝐎𝐓), full-width (Ｓｌｏｔ) and circled letters.
_HOMOGLYPHS = {
    **dict(zip("аеорсухіјѕԁһкмтвп", "aeopcyxijsdhkmtbn", strict=True)),
    **dict(zip("αεικνοτυρχ", "aeikvotupx", strict=True)),
    "ɡ": "g",
    "ı": "i",
}
_FOLD = str.maketrans({**dict.fromkeys(_INVISIBLE + _BIDI, None), **_HOMOGLYPHS})
# The usual disguises of a letter inside a word ("s1ot", "g4cor", "t0gel", "$lot"): in a phrase each
# letter matches its class; for the stems, the text is translated one character for one.
_LEET = {"a": "a4@", "e": "e3", "i": "i1!|", "l": "l1|!", "o": "o0", "s": "s5$", "t": "t7", "g": "g9"}
_LEET_FROM, _LEET_TO = "0134579@$!|", "oleastgasll"
_STR_LEET = str.maketrans(_LEET_FROM, _LEET_TO)
_BYTES_LEET = bytes.maketrans(_LEET_FROM.encode(), _LEET_TO.encode())
_SEP = r"[\s\-_.+]{0,3}"  # between the words of a phrase: "slot gacor", "slot-gacor", "slotgacor"
# UTF-8 lead bytes of what `fold` changes: mathematical letters, full-width and circled forms,
# zero-width and bidi characters, soft hyphen, Cyrillic, Greek.
_FOLDABLE = (b"\xf0\x9d", b"\xef\xbc", b"\xef\xbd", b"\xe2\x80", b"\xe2\x81", b"\xe2\x93", b"\xc2\xad")
_FOLDABLE_RE = re.compile(rb"[\xce\xcf\xd0\xd1\xd4]")
# Letters written as character references ("&#115;&#108;&#111;&#116;"): no page needs them for a-z.
_LETTER_ENTITY = re.compile(rb"&#(?:9[7-9]|1[01][0-9]|12[0-2]|x(?:6[1-9a-f]|7[0-9a]));", re.IGNORECASE)
_MAX_TEXT = 20_000  # characters of one text read closely (a block of spam says it in far fewer)
_WINDOW = 48  # characters around a stem searched for its phrase
_CONTEXT = 300  # characters around the phrases searched for advertising and counter words


def fold(text: str) -> str:
    """The text as it is matched: look-alike letters folded, invisible characters dropped, case folded."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return text.casefold()


def printable(text: str, limit: int = 80) -> str:
    """A site's text safe to show on one line: look-alikes folded, invisible and control characters
    gone, bounded."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _letters(word: str, leet: bool) -> str:
    if not leet:
        return re.escape(word)
    return "".join(f"[{re.escape(_LEET[c])}]" if c in _LEET else re.escape(c) for c in word)


def _phrase(term: str, leet: bool) -> str:
    return _SEP.join(_letters(word, leet) for word in term.split())


def _alternation(words: list[str], leet: bool) -> re.Pattern[str]:
    """Longest first, each its own group, no assertion before the first letter (so the engine can
    skip to a possible first letter); the left word boundary is checked by `_matches`."""
    if not words:
        return re.compile("(?!)")
    return re.compile("|".join(f"({_phrase(w, leet)})(?![a-z])" for w in words))


def _matches(pattern: re.Pattern[str], words: list[str], text: str) -> list[tuple[str, str, int]]:
    """(word, the text as written, where) for each match that starts a word."""
    out = []
    for m in pattern.finditer(text):
        if m.start() and text[m.start() - 1].isalpha() and text[m.start() - 1].isascii():
            continue
        out.append((words[m.lastindex - 1], m.group(0), m.start()))
    return out


@dataclass(frozen=True)
class Verdict:
    """The gambling words of one text: advertising phrases, words of the subject, and whether an
    advertising word or a counter word (reporting, warning, enforcement) stands beside them."""

    promo: tuple[str, ...] = ()
    topic: tuple[str, ...] = ()
    marketing: tuple[str, ...] = ()
    counter: tuple[str, ...] = ()
    written: tuple[str, ...] = ()  # the phrases as the text writes them ("S1OT G4COR"), for evidence

    @property
    def terms(self) -> tuple[str, ...]:
        return self.promo + self.topic

    @property
    def any(self) -> bool:
        return bool(self.promo or self.topic)

    @property
    def advert(self) -> bool:
        """Visible text that advertises gambling: an advertising phrase with no counter word, several
        of them (spam outnumbers a stray "diblokir"), or a word of the subject sold with an advertising
        word ("togel terpercaya") and no counter word."""
        if self.promo and not self.counter:
            return True
        if len(self.promo) >= 3 and len(self.promo) > 2 * len(self.counter):
            return True
        return bool(self.topic and self.marketing and not self.counter)

    @property
    def hidden_spam(self) -> bool:
        """Text nobody sees that is gambling: two advertising phrases, one with no counter word (a
        hidden warning "awas link slot gacor palsu" is not spam), or several subject words and no
        counter word."""
        if len(self.promo) >= 2 or (self.promo and not self.counter):
            return True
        return len(self.topic) >= 2 and not self.counter


class Lexicon:
    """The compiled word lists. One per set of extra words; shared by every page a process reads."""

    def __init__(self, data: dict[str, list[str]]) -> None:
        self.data = data
        self.promo = _norm(data.get("promo", []))
        self.topic = [t for t in _norm(data.get("topic", [])) if t not in set(self.promo)]
        self.marketing = _norm(data.get("marketing", []))
        self.counter = _norm(data.get("counter", []))
        self.hosts = [h.replace(" ", "") for h in _norm(data.get("hosts", []))]
        self.defacement = _norm(data.get("defacement", []))
        self._promo = set(self.promo)
        self._terms = sorted(self.promo + self.topic, key=len, reverse=True)
        self._terms_re = _alternation(self._terms, leet=True)
        self._strict_re = _alternation(self._terms, leet=False)
        self._marketing = sorted(self.marketing, key=len, reverse=True)
        self._marketing_re = _alternation(self._marketing, leet=False)
        self._counter = sorted(self.counter, key=len, reverse=True)
        self._counter_re = _alternation(self._counter, leet=False)
        self._deface = sorted(self.defacement, key=len, reverse=True)
        self._deface_re = _alternation(self._deface, leet=True)
        self._hosts_re = re.compile("|".join(re.escape(h) for h in self.hosts) or "(?!)")
        stems = _norm(data.get("stems", [])) + [max(t.split(), key=len) for t in data.get("extra_stems", [])]
        deface_stems = ["hack", "deface", "owned by", "pwn", "greetz", "was here"]
        self.stems = list(dict.fromkeys(s.translate(_STR_LEET) for s in stems + deface_stems))
        self._stems_bytes = [s.encode() for s in self.stems]
        self._stem_re = re.compile("|".join(re.escape(s).replace(r"\ ", _SEP) for s in self.stems))

    # --- the quick look ---------------------------------------------------------------------------

    def quick(self, body: bytes) -> bool:
        """Could this document carry gambling words or a defacer's signature? A page without one of
        the stems (digits read as letters) is not read closely."""
        data = body.lower().translate(_BYTES_LEET)
        if any(stem in data for stem in self._stems_bytes):
            return True
        entities = _LETTER_ENTITY.search(body) is not None
        if entities or any(lead in body for lead in _FOLDABLE) or _FOLDABLE_RE.search(body):
            text = body.decode("utf-8", "replace")
            text = fold(html.unescape(text) if entities else text).translate(_STR_LEET)
            return any(stem in text for stem in self.stems)
        return False

    def quick_text(self, text: str) -> bool:
        folded = fold(text).translate(_STR_LEET)
        return any(stem in folded for stem in self.stems)

    # --- a close reading ---------------------------------------------------------------------------

    def verdict(self, text: str) -> Verdict:
        folded = fold(text[:_MAX_TEXT])
        stems = list(self._stem_re.finditer(folded.translate(_STR_LEET)))
        if not stems:
            return Verdict()
        found: dict[str, str] = {}
        first, last = len(folded), 0
        for start, end in _windows(stems, len(folded)):
            window = folded[start:end]
            for term, written, at in _matches(self._terms_re, self._terms, window):
                found.setdefault(term, written)
                first, last = min(first, start + at), max(last, start + at + len(written))
        if not found:
            return Verdict()
        context = folded[max(0, first - _CONTEXT) : last + _CONTEXT]
        promo = tuple(t for t in found if t in self._promo)
        # "judi" beside "judi online" is the same word, not a second one
        topic = tuple(t for t in found if t not in self._promo and not any(t != o and t in o for o in found))
        marketing = tuple(
            dict.fromkeys(w for w, _, _ in _matches(self._marketing_re, self._marketing, context))
        )
        counter = tuple(dict.fromkeys(w for w, _, _ in _matches(self._counter_re, self._counter, context)))
        written = tuple(dict.fromkeys(found[t] for t in promo + topic))
        return Verdict(promo, topic, marketing, counter, written)

    def disguised(self, text: str) -> bool:
        """Gambling words written to escape a plain search: look-alike letters, zero-width characters
        inside a word, digits for letters ("𝐒𝐋𝐎𝐓", "s\u200blot", "s1ot g4cor")."""
        verdict = self.verdict(text)
        if not verdict.any:
            return False
        plain = {term for term, _, _ in _matches(self._strict_re, self._terms, text.casefold())}
        return any(term not in plain for term in verdict.terms)

    def gambling_host(self, host: str) -> str | None:
        """The gambling stem in a host name ("slotgacor88.example"), if any."""
        m = self._hosts_re.search(fold(host).replace("-", "").translate(_STR_LEET))
        return m.group(0) if m else None

    def defacer(self, text: str) -> str | None:
        """The defacer's signature phrase in `text` ("hacked by"), if any."""
        found = _matches(self._deface_re, self._deface, fold(text))
        return found[0][1] if found else None


def _windows(stems: list[re.Match[str]], size: int) -> list[tuple[int, int]]:
    """Stretches of text around the stems, merged where they overlap."""
    spans: list[tuple[int, int]] = []
    for m in stems:
        start, end = max(0, m.start() - _WINDOW), min(size, m.end() + _WINDOW)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _norm(words: list[str]) -> list[str]:
    return list(dict.fromkeys(" ".join(fold(str(w)).split()) for w in words if str(w).strip()))


@cache
def _bundled() -> dict[str, list[str]]:
    text = resources.files("checks.web").joinpath("data/gambling.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {key: [str(v) for v in values or []] for key, values in data.items()}


@lru_cache(maxsize=8)
def lexicon(extra_terms: tuple[str, ...] = (), extra_counter: tuple[str, ...] = ()) -> Lexicon:
    """The bundled lexicon with the office's own words: extra advertising phrases and counter words."""
    data = {key: list(values) for key, values in _bundled().items()}
    data["promo"] = data.get("promo", []) + list(extra_terms)
    data["extra_stems"] = [fold(t) for t in extra_terms]
    data["counter"] = data.get("counter", []) + list(extra_counter)
    return Lexicon(data)
