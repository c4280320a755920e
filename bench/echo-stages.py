#!/usr/bin/env python3
"""Where a broker echo's time goes, per stage: joins the broker's BROKER_ECHO_STAGES file with the harness's
BENCH_ECHO_SAMPLES file (both Stopwatch ticks of the system's monotonic clock) and prints p50/p99/max per stage,
idle and streaming, and which stage the slowest 1 % of echoes spent their time in.

    BROKER_ECHO_STAGES=B BENCH_ECHO_SAMPLES=H bench/run --only echo --skip-suites --out FILE
    bench/echo-stages.py B H
"""
import bisect
import sys

# The pump's own "queued" stamp and the input call's "written" stamp often come after the echo's frame was written
# (another thread carried it on meanwhile), so the chain below skips them.
STAGES = ["client sent -> key frame read", "key frame read -> echo read from PTY", "PTY read -> pump woke",
          "pump woke -> filtered, queued, taken by the call", "taken -> frame write returned",
          "frame written -> client got it", "total (client)"]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main(broker_path, harness_path, freq=1e9):
    records = []
    with open(broker_path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            t = [int(x) for x in line.split()]
            if all(t[i] for i in (0, 2, 3, 5, 6)):
                records.append(t)
    records.sort()
    starts = [r[0] for r in records]
    by_condition = {}
    with open(harness_path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            *system, condition, sent, received = line.split()
            system = " ".join(system)
            if system != "broker":
                continue
            sent, received = int(sent), int(received)
            i = bisect.bisect_left(starts, sent)
            if i == len(starts) or starts[i] > received:
                continue
            k = records[i]
            ms = lambda a, b: (b - a) / freq * 1e3
            stages = [ms(sent, k[0]), ms(k[0], k[2]), ms(k[2], k[3]), ms(k[3], k[5]), ms(k[5], k[6]), ms(k[6], received),
                      ms(sent, received)]
            by_condition.setdefault(condition, []).append(stages)
    for condition, rows in by_condition.items():
        print(f"\n{condition}: {len(rows)} echoes matched")
        print("| stage | p50 ms | p99 ms | max ms | mean in the slowest 1 % ms |")
        print("|---|---:|---:|---:|---:|")
        slow = sorted(rows, key=lambda r: r[-1])[-max(1, len(rows) // 100):]
        for s, name in enumerate(STAGES):
            col = [r[s] for r in rows]
            print(f"| {name} | {pct(col, 50):.3f} | {pct(col, 99):.3f} | {max(col):.3f} | {sum(r[s] for r in slow) / len(slow):.3f} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
