#!/usr/bin/env python3
"""Shares of a broker's perf samples by object over the typing window of one concurrency round.

usage: bench/perf-shares.py PERF_DATA OPEN_SECONDS

The record spans the round: the sessions' opening (OPEN_SECONDS, from the harness's report), the typing window and the
closing. Samples from OPEN_SECONDS + 1 s after the first to 1.5 s before the last are counted, so the opening's and the
closing's work (new methods compiled for them included) stay out. JIT-compiled code shows as the double-mapped memfd
(W^X) or anonymous memory; no perf map is needed to tell the JIT compiler (libclrjit) from the rest.
"""

import collections
import re
import subprocess
import sys

GROUPS = ("jit", "kernel", "managed", "libc", "coreclr", "crypto", "other")


def group(dso: str) -> str:
    if "kernel" in dso:
        return "kernel"
    if "libclrjit" in dso:
        return "jit"
    if "libcoreclr" in dso:
        return "coreclr"
    if "doublemapper" in dso or dso.endswith(".dll") or dso.startswith("/tmp/perf-") or dso in ("[unknown]", "[anon]"):
        return "managed"
    if "libc.so" in dso:
        return "libc"
    if "libcrypto" in dso:
        return "crypto"
    return "other"


def main() -> None:
    data, open_seconds = sys.argv[1], float(sys.argv[2])
    script = subprocess.run(["perf", "script", "-i", data, "-F", "time,ip,dso"], capture_output=True, text=True, check=True)
    samples = []
    for line in script.stdout.splitlines():
        match = re.match(r"\s*([\d.]+):\s+\S+\s+\((.*)\)", line)
        if match:
            samples.append((float(match.group(1)), match.group(2)))
    if not samples:
        print("no samples")
        return
    start, end = samples[0][0], samples[-1][0]
    window = [dso for at, dso in samples if start + open_seconds + 1 <= at <= end - 1.5]
    counts = collections.Counter(group(dso) for dso in window)
    total = max(len(window), 1)
    print(f"samples {len(window)}: " + " ".join(f"{name} {100 * counts[name] / total:.1f} %" for name in GROUPS))


if __name__ == "__main__":
    main()
