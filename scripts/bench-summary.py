#!/usr/bin/env python3
"""Summarise scripts/bench's results.jsonl as Markdown: medians per (size, gzip, tool), then the
ratios the targets are stated in. usage: bench-summary.py results.jsonl machine.txt KUBECTL_MAX,
or bench-summary.py --line < one-result.json (a progress line)."""

import json
import statistics
import sys
from collections import defaultdict

if sys.argv[1:] == ["--line"]:
    # One result line (from stdin) as scripts/bench prints its progress.
    r = json.loads(sys.stdin.read())
    gz = "on " if r["gzip"] else "off"
    killed = " (killed: memory)" if r["killedForMemory"] else ""
    print(
        f"  {r['size']:>6} gzip={gz} {r['tool']:<15} run {r['run']}: wall {r['wall']:7.2f}s "
        f"cpu {r['cpu']:7.2f}s rss {r['maxRssKiB'] / 1024:8.1f} MiB "
        f"wire {r['sim']['bytesSent'] / 1e6:8.1f} MB req {r['sim']['requests']:>5} "
        f"serving {r['sim']['servingSeconds']:6.2f}s exit {r['exit']}{killed}"
    )
    sys.exit(0)

results, machine, kubectl_max = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows, generated = [], {}
for line in open(results):
    r = json.loads(line)
    if "generated" in r:
        generated[r["size"]] = r
    else:
        rows.append(r)

groups = defaultdict(list)
for r in rows:
    groups[(r["size"], r["gzip"], r["tool"])].append(r)

TOOLS = ["plugin-json", "plugin-table", "kubectl", "floor-plugin", "floor-plugin-pb", "floor-kubectl"]


def med(rs, f):
    vals = [f(r) for r in rs]
    vals = [v for v in vals if v == v]  # drop NaN
    return statistics.median(vals) if vals else float("nan")


def summary(rs):
    ok = [r for r in rs if r["exit"] == 0]
    return {
        "runs": len(rs),
        "ok": len(ok),
        "killed": any(r["killedForMemory"] for r in rs),
        "exits": sorted({r["exit"] for r in rs}),
        "wall": med(ok, lambda r: r["wall"]),
        "cpu": med(ok, lambda r: r["cpu"]),
        "rss": med(ok, lambda r: r["maxRssKiB"] / 1024),
        "wire": med(ok, lambda r: r["sim"]["bytesSent"] / 1e6),
        "raw": med(ok, lambda r: r["sim"]["bytesUncompressed"] / 1e6),
        "requests": med(ok, lambda r: r["sim"]["requests"]),
        "serving": med(ok, lambda r: r["sim"]["servingSeconds"]),
    }


sizes = sorted({k[0] for k in groups} | set(generated))
out = []
out.append("| nodes | gzip | tool | wall s | CPU s | peak RSS MiB | wire MB | decoded MB | requests | simulator serving s |")
out.append("|---:|:---:|---|---:|---:|---:|---:|---:|---:|---:|")
S = {}
for n in sizes:
    for gz in (True, False):
        for tool in TOOLS:
            rs = groups.get((n, gz, tool))
            if not rs:
                continue
            s = summary(rs)
            S[(n, gz, tool)] = s
            if s["ok"] == 0:
                why = "killed at the memory limit" if s["killed"] else f"failed (exit {s['exits']})"
                out.append(f"| {n:,} | {'on' if gz else 'off'} | {tool} | {why} | | | | | | |")
                continue
            note = "" if s["ok"] == s["runs"] else f" ({s['ok']}/{s['runs']} ok)"
            out.append(
                f"| {n:,} | {'on' if gz else 'off'} | {tool}{note} | {s['wall']:.2f} | {s['cpu']:.2f} | "
                f"{s['rss']:.0f} | {s['wire']:.1f} | {s['raw']:.1f} | {s['requests']:.0f} | {s['serving']:.2f} |"
            )
        if gz and n > kubectl_max:
            out.append(f"| {n:,} | on | kubectl | not run (see notes: needs more memory than the machine has) | | | | | | |")

out.append("")
out.append(
    "Ratios of medians, each column naming what is divided by what (the tools of the table above; "
    "gzip on unless marked):"
)
out.append("")
out.append(
    "| nodes | plugin-json wall ÷ kubectl wall | plugin-json peak RSS ÷ kubectl peak RSS "
    "| plugin-json wall ÷ floor-plugin wall | same, gzip off "
    "| plugin-json wall ÷ floor-plugin-pb wall | plugin-json wall ÷ floor-plugin-pb wall, gzip off "
    "| plugin-json wall ÷ floor-kubectl wall | plugin-json peak RSS MiB |"
)
out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def ratio(a, b, k):
    if not a or not b or a["ok"] == 0 or b["ok"] == 0:
        return "–"
    return f"{a[k] / b[k]:.3f}"


for n in sizes:
    p = S.get((n, True, "plugin-json"))
    if not p:
        continue
    k = S.get((n, True, "kubectl"))
    out.append(
        f"| {n:,} | {ratio(p, k, 'wall')} | {ratio(p, k, 'rss')} | "
        f"{ratio(p, S.get((n, True, 'floor-plugin')), 'wall')} | "
        f"{ratio(S.get((n, False, 'plugin-json')), S.get((n, False, 'floor-plugin')), 'wall')} | "
        f"{ratio(p, S.get((n, True, 'floor-plugin-pb')), 'wall')} | "
        f"{ratio(S.get((n, False, 'plugin-json')), S.get((n, False, 'floor-plugin-pb')), 'wall')} | "
        f"{ratio(p, S.get((n, True, 'floor-kubectl')), 'wall')} | {p['rss']:.0f} |"
    )

out.append("")
out.append("Generated clusters:")
out.append("")
for n in sizes:
    g = generated.get(n)
    if g:
        peak = g.get("simPeakRssKiB")
        peak = f" (peak {peak / 1024:.0f} MiB while generating)" if peak else ""
        out.append(f"- {n:,}: {g['generated']}; simulator RSS {g['simRssKiB'] / 1024:.0f} MiB{peak}")
print("\n".join(out))
