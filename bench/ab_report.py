#!/usr/bin/env python3
"""ab_report.py CSV... - summarize bench/feedback_ab.sh output as a markdown
table: per variant, median executions-to-bug with the interleaving feedback
on and off (trials that found nothing count as more than their budget)."""
import csv
import math
import statistics
import sys

rows = []
for f in sys.argv[1:]:
    rows += list(csv.DictReader(open(f)))
variants = []
for r in rows:
    if r["variant"] not in variants:
        variants.append(r["variant"])


def med(sel):
    vals = sorted(int(r["executions"]) if r["found"] == "1" else math.inf for r in sel)
    n = len(vals)
    mid = vals[(n - 1) // 2: n // 2 + 1]
    return statistics.median(mid) if math.inf not in mid else math.inf


def fmt(x):
    return "not found" if x == math.inf else f"{x:,.0f}"


print("| variant | feedback on: median (found) | feedback off: median (found) | on/off |")
print("|---|---|---|---|")
ratios = []
for v in variants:
    on = [r for r in rows if r["variant"] == v and r["feedback"] == "1"]
    off = [r for r in rows if r["variant"] == v and r["feedback"] == "0"]
    a, b = med(on), med(off)
    ratio = a / b if a != math.inf and b not in (0, math.inf) else None
    if ratio:
        ratios.append(ratio)
    fa = sum(r["found"] == "1" for r in on)
    fb = sum(r["found"] == "1" for r in off)
    print(f"| {v} | {fmt(a)} ({fa}/{len(on)}) | {fmt(b)} ({fb}/{len(off)}) | "
          f"{ratio:.2f} |" if ratio else f"| {v} | {fmt(a)} ({fa}/{len(on)}) | {fmt(b)} "
          f"({fb}/{len(off)}) | - |")
if ratios:
    g = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
    print(f"\nGeometric mean of on/off over the variants: {g:.2f} "
          f"({'the feedback helps' if g < 0.9 else 'no clear gain' if g < 1.1 else 'the feedback hurts'}).")
