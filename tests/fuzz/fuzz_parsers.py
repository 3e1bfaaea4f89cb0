"""Coverage-guided fuzzing (atheris) of everything that reads what a monitored site sends: the
Indonesian date reader, the HTML list/article parser, the feed, sitemap and wp-json readers, and the
injection watch's reader (hidden blocks, scripts it decodes, the lexicon).

A script, not part of the default suite:

    .venv/bin/pip install 'atheris>=2.3'
    .venv/bin/python tests/fuzz/fuzz_parsers.py TARGET [--seconds 60] [--corpus DIR] [--runs N --seed S]

TARGET is one of dates, html, feed, sitemap, wpjson, inject, or `all` (each for --seconds). The seed
corpus is the CMS fixture pages in tests/fixtures/web and the injection fixtures in its inject/. A
crash prints the input and exits non-zero; every crash found becomes a regression test in tests/checks/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "web"
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Makassar")
HOME = "http://127.0.0.1/"


def _targets():
    from checks.web.dates import find_dates, parse_machine_date
    from checks.web.inject.lexicon import lexicon
    from checks.web.inject.model import WatchOptions
    from checks.web.inject.script import decoded_texts, redirects
    from checks.web.parse import parse_feed, parse_html, parse_sitemap, parse_wp_posts
    from checks.web.watch import scan_view

    def dates(data: bytes) -> None:
        text = data.decode("utf-8", "replace")
        find_dates(text, NOW, TZ)
        parse_machine_date(text[:200], TZ)

    def html(data: bytes) -> None:
        parse_html(data, HOME + "berita/x", HOME, NOW, TZ)

    def feed(data: bytes) -> None:
        parse_feed(data, HOME + "feed")

    def sitemap(data: bytes) -> None:
        parse_sitemap(data, TZ)

    def wpjson(data: bytes) -> None:
        parse_wp_posts(data, HOME + "wp-json/wp/v2/posts")

    options = WatchOptions(extra_terms=("kopi77",))

    def inject(data: bytes) -> None:
        page = parse_html(data, HOME, HOME, NOW, TZ, watch=options)  # the tree the crawl reads, scanned
        scan_view(data, HOME, HOME, None, options)  # a second view, read on its own
        text = data.decode("utf-8", "replace")
        decoded_texts(text)
        redirects(text)
        lex = lexicon(options.extra_terms)
        lex.verdict(text[:4000])
        lex.disguised(text[:4000])
        lex.gambling_host(text[:253])
        assert page.scan is not None

    return {
        "dates": dates,
        "html": html,
        "feed": feed,
        "sitemap": sitemap,
        "wpjson": wpjson,
        "inject": inject,
    }


def _seed(corpus: Path) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    for page in (p for p in FIXTURES.rglob("*") if p.is_file()):
        name = "-".join(page.relative_to(FIXTURES).parts)
        (corpus / name).write_bytes(page.read_bytes()[: 64 * 1024])


def run_one(name: str, seconds: int, corpus: Path, runs: int | None = None, seed: int | None = None) -> int:
    """Fuzz one target in this process (atheris owns the process) for `seconds`."""
    import atheris

    sys.path[:0] = [str(REPO)]
    with atheris.instrument_imports():
        targets = _targets()
    target = targets[name]

    def one(data: bytes) -> None:
        target(data)

    _seed(corpus)
    flags = [f"-max_total_time={seconds}", "-max_len=65536", "-rss_limit_mb=1024"]
    if runs is not None:  # a fixed number of inputs from a fixed seed: the same inputs every time (CI)
        flags += [f"-runs={runs}", f"-seed={seed or 1}"]
    atheris.Setup([sys.argv[0], str(corpus), *flags], one)
    atheris.Fuzz()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("target", choices=[*_names(), "all"])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--corpus", type=Path, help="corpus directory (default: a temporary one per target)")
    parser.add_argument("--runs", type=int, help="stop after this many inputs (with --seed: reproducible)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child run
    args = parser.parse_args()
    if args.one:
        return run_one(args.target, args.seconds, args.corpus, args.runs, args.seed)
    names = list(_names()) if args.target == "all" else [args.target]
    worst = 0
    for name in names:
        corpus = args.corpus or Path(tempfile.mkdtemp(prefix=f"sigap-fuzz-{name}-"))
        # Each target in its own process: libFuzzer exits the process when its time is up.
        result = subprocess.run(
            [sys.executable, __file__, name, "--one", "--seconds", str(args.seconds), "--corpus", corpus]
            + (["--runs", str(args.runs), "--seed", str(args.seed)] if args.runs else []),
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        stats = [line for line in result.stderr.splitlines() if line.startswith(("#", "Done", "==", "stat"))]
        done = next((line for line in reversed(stats) if "Done" in line), stats[-1] if stats else "-")
        files = sum(1 for _ in corpus.iterdir())
        print(f"{name}: exit {result.returncode}, corpus {files} inputs, {done}")
        if result.returncode != 0:
            print(result.stderr[-3000:])
            worst = 1
    return worst


def _names():
    return ("dates", "html", "feed", "sitemap", "wpjson", "inject")


if __name__ == "__main__":
    sys.exit(main())
