"""Benchmarks that need dead links re-execute themselves in a network namespace of their own."""

from __future__ import annotations

import os
import subprocess
import sys

BLACKHOLE = "127.9.0.0/16"  # addresses here never answer: the dead links of a cycle


def reexec_in_blackhole_netns() -> None:
    """Unless already inside: run this script again under `unshare -n`, with loopback up and
    127.9.0.0/16 blackholed (the local table is consulted after the blackhole rule), then exit."""
    if os.environ.get("SIGAP_BENCH_NETNS") == "1":
        return
    setup = (
        f"ip link set lo up && ip rule add pref 10 to {BLACKHOLE} blackhole && "
        "ip rule del pref 0 && ip rule add pref 100 lookup local && "
        f"SIGAP_BENCH_NETNS=1 exec {sys.executable} {' '.join(sys.argv)}"
    )
    sys.exit(subprocess.call(["unshare", "-n", "sh", "-c", setup]))
