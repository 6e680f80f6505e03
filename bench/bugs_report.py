#!/usr/bin/env python3
"""bugs_report.py - write docs/bugs.md from the measurements.

usage: bench/bugs_report.py MMFUZZ CSV > docs/bugs.md

CSV is the output of bench/find_variants.sh (generic and focused workloads,
random and PCT sources, several seeds).  The prose of each section comes
from corpus/regressions/<variant>.md; the interleaving is what
`mmfuzz replay --compact` prints for the committed reproducer; the exhaustive
numbers are measured here with `mmfuzz explore` on the focused scenario.
"""
import csv
import os
import platform
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOUNDS = {"zswap-writeback-stale-data": 2, "free-swap-and-cache-swapoff-uaf": 2}


def run(args):
    p = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    return p.stdout + p.stderr


def variants(mmfuzz):
    out = []
    for line in run([mmfuzz, "list"]).splitlines():
        m = re.match(r"^  ([a-z-]+) +(\d{4}) (.*) \[caught as: ([a-z,-]+)\]$", line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3), m.group(4)))
    return out


def cell(rows):
    """median (max) of executions-to-find, and found/trials."""
    if not rows:
        return "-"
    found = [int(r["executions"]) for r in rows if r["found"] == "1"]
    n = len(rows)
    if not found:
        return f"not found in {int(rows[0]['executions']):,} (0/{n})"
    # Trials that found nothing count as 'more than the budget' for the median.
    budget = max(int(r["executions"]) for r in rows)
    vals = sorted(int(r["executions"]) if r["found"] == "1" else budget + 1 for r in rows)
    mid = vals[(n - 1) // 2: n // 2 + 1]
    med_s = f">{budget:,}" if max(mid) > budget else f"{statistics.median(mid):,.0f}"
    return f"{med_s} (max {max(found):,}; {len(found)}/{n})"


def median_found(rows):
    """The median executions over the trials (unfound: more than any), or None."""
    if not rows or not any(r["found"] == "1" for r in rows):
        return None
    budget = max(int(r["executions"]) for r in rows)
    return statistics.median(int(r["executions"]) if r["found"] == "1" else budget + 1
                             for r in rows)


def pct_faster(rows, vs):
    """' (V, W: median N executions against M)' for the cell where PCT beats
    the random walk by the largest factor, or '' when it beats it nowhere."""
    best = None
    for name, _, _, _ in vs:
        for wl in ("generic", "focused"):
            sel = lambda src: [r for r in rows if r["variant"] == name and r["workload"] == wl
                               and r["source"] == src]
            rnd, pct = median_found(sel("random")), median_found(sel("pct"))
            if rnd and pct and pct < rnd and (not best or rnd / pct > best[0]):
                best = (rnd / pct, name, wl, pct, rnd)
    if not best:
        return " (in this measurement, none)"
    return f" ({best[1]}, {best[2]}: median {best[3]:,.0f} executions against {best[4]:,.0f})"


def section(md, title):
    m = re.search(r"^## " + re.escape(title) + r"\n(.*?)(?=^## |\Z)", md, re.S | re.M)
    t = m.group(1).strip() if m else ""
    return t[:1].upper() + t[1:]


def main():
    mmfuzz, csvfile = sys.argv[1], sys.argv[2]
    rows = list(csv.DictReader(open(csvfile)))
    commit = run(["git", "rev-parse", "--short", "HEAD"]).strip()
    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    seeds = len({r["seed"] for r in rows})
    budget = max(int(r["executions"]) for r in rows)
    vs = variants(mmfuzz)

    w = sys.stdout.write
    w("# Bug variants\n\n")
    w("Each race from our seed threads can be switched back on at run time as a *bug variant*:\n"
      "`bugs=NAME[,NAME]` in the mm program's parameters (`mmfuzz list` names them). A variant\n"
      "restores the historic code path at the place its seed thread names, shaped as the historic\n"
      "code was; nothing else knows about it. No check, oracle or detector reads the switch: every\n"
      "catch below comes from a general check (the checked heap and its poisoned-memory and\n"
      "double-free checks or ASan, page-state and swap-map checks, the leak audit, the\n"
      "data-integrity shadow, the deadlock and hang detectors). The variant set in force is\n"
      "recorded in every trace (`variants` header line) and reproducer.\n\n"
      "`zswap-cas-state` is not a historic kernel: it is the design proposed in the zswap thread\n"
      "(seed 004) and never merged, added so that mmfuzz can say whether it was sound.\n"
      "**Verdict: it is not.** It trades the 2013 leak for a livelock: invalidation, called with\n"
      "the page-table lock held (the zap's `free_swap_and_cache`), retries until a writeback that\n"
      "has claimed the entry lets go, and the writeback's folio allocation may reclaim directly,\n"
      "which needs that page-table lock to unmap a page: each spins for the other, on two CPUs\n"
      "(the scheduler's load balancing moves the writeback off the spinner's CPU, so the hang is\n"
      "not one of tasks pinned to a busy CPU). The table below says how often each source finds\n"
      "it. On the 6.6/6.7 model, hunting on past the hangs (`--want` every other class; 100,000\n"
      "runs each of random seed 1 and PCT seed 1) found no leak, use-after-free, stale data or\n"
      "other failure: the design does fix the leak and the stale data, at the price of the\n"
      "livelock.\n\n")
    w("## How they are found\n\n"
      "*Generic*: the generic workload (program `mm` with no parameters: tasks, address spaces,\n"
      "memory size, swap devices, zswap and every operation drawn from the decision source),\n"
      "nothing written for the bug. *Focused*: the named scenario in\n"
      "`corpus/focused/<variant>.params`, a fixed plan of a few operations; a fast regression\n"
      "seed, never a stand-in for the generic numbers. A trial hunts with one seed until a\n"
      "failure of the class BUGS.md names (`mmfuzz run mm --params bugs=V --want CLASSES`; failures\n"
      "of other classes are passed over, as a campaign would record them and go on).\n\n")
    w(f"Cells: median executions-to-find over {seeds} seeds (1..{seeds}), the maximum among the\n"
      f"trials that found it, and how many trials found it within {budget:,} executions (a trial\n"
      "that did not counts as more than the budget for the median). Explore: the exhaustive\n"
      "source on the focused scenario at the given preemption bound, schedules until the first\n"
      "failure of the class, and the size of the fixed model's whole space at that bound (all\n"
      "clean).\n\n")
    w(f"Measured with `bench/find_variants.sh build/default/fuzz/mmfuzz {seeds} {budget} generic "
      f"focused` and `bench/bugs_report.py` on commit `{commit}`, {cpu}, {os.cpu_count()} cores, "
      f"{platform.system()} {platform.release()}; one core per trial.\n\n")
    w("| variant | caught as | generic, random | generic, PCT | focused, random | focused, PCT "
      "| focused, explore |\n|---|---|---|---|---|---|---|\n")
    explore = {}
    for name, year, summary, classes in vs:
        params = open(os.path.join(ROOT, "corpus/focused", name + ".params")).read().strip()
        bound = BOUNDS.get(name, 1)
        out = run([mmfuzz, "explore", "mm", "--params", f"{params} bugs={name}", "--bound",
                   str(bound), "--want", classes, "--trace", "/dev/null"])
        m = re.search(r"first ([a-z-]+) at schedule (\d+)", out)
        found = f"{m.group(1)} at schedule {int(m.group(2)):,}" if m else "not found"
        fixed = ""
        if bound == 1:
            out = run([mmfuzz, "explore", "mm", "--params", params, "--bound", "1"])
            m = re.search(r"explored (\d+) schedules .*: (complete|incomplete); (\d+) failing", out)
            if m:
                fixed = f"; fixed: {int(m.group(1)):,} schedules, {m.group(3)} failing"
        else:
            fixed = "; fixed: see the long tests"
        explore[name] = f"K={bound}: {found}{fixed}"
        sel = lambda wl, src: [r for r in rows if r["variant"] == name and r["workload"] == wl
                               and r["source"] == src]
        w(f"| [{name}](#{name}) | {classes.replace(',', ', ')} | {cell(sel('generic', 'random'))} "
          f"| {cell(sel('generic', 'pct'))} | {cell(sel('focused', 'random'))} "
          f"| {cell(sel('focused', 'pct'))} | {explore[name]} |\n")
    w("\nThe fixed model over the bound-2 spaces of the two largest focused scenarios (ctest label\n"
      "`long`, `fixed_*_focused_explore`; not measured by this script, last run on the final\n"
      "6.12 model): zswap-writeback-stale-data 799,883 schedules, free-swap-and-cache-swapoff-uaf\n"
      "779,693 schedules, complete, none failing.\n\n"
      "PCT (depth 2) is weaker than the random walk on this workload: it cannot keep one task\n"
      "preempted at an allocation while the others run whole operations *and* then let that task\n"
      "resume at the right moment, which the two deepest races need. It is kept because it is\n"
      f"faster on some shapes{pct_faster(rows, vs)} and `hunt` alternates the two sources.\n\n")

    for name, year, summary, classes in vs:
        md = open(os.path.join(ROOT, "corpus/regressions", name + ".md")).read()
        seed = re.search(r"\*\*Seed thread:\*\* (.*?); see", md)
        w(f"## {name}\n\n*{year}: {summary}.* Seed thread: {seed.group(1) if seed else '?'}.\n\n")
        table = run([mmfuzz, "replay", f"corpus/regressions/{name}.trace", "--compact"])
        table = re.sub(r"0x[0-9a-f]+", "0x…", table)
        w("### The interleaving\n\n`mmfuzz replay corpus/regressions/" + name +
          ".trace --compact` (one row per stretch a task ran: its steps, the workload\n"
          "operations it went through, where it was switched out; drop `--compact` for one row per\n"
          "step):\n\n<!-- sample: mmfuzz replay corpus/regressions/" + name +
          ".trace --compact | sed -E 's/0x[0-9a-f]+/0x…/g' -->\n```\n" + table.rstrip() +
          "\n```\n\n")
        w("### What broke\n\n" + section(md, "What it shows") + "\n\n")
        w("### What caught it\n\n" + section(md, "What catches it") + "\n\n")
        w("### The fix\n\n" + section(md, "The fix") + "\n\n")
        adapted = section(md, "Adapted to the 6.12 model")
        if adapted:
            w("### Adapted to the 6.12 model\n\n" + adapted + "\n\n")
        w("### Executions to find\n\n")
        for wl in ("generic", "focused"):
            for src in ("random", "pct"):
                sel = [r for r in rows if r["variant"] == name and r["workload"] == wl
                       and r["source"] == src]
                secs = sorted(float(r["seconds"]) for r in sel if r["found"] == "1")
                t = f", median {statistics.median(secs):.2f} s" if secs else ""
                w(f"- {wl}, {src}: {cell(sel)}{t}\n")
        w(f"- focused, explore: {explore[name]}\n\n")


if __name__ == "__main__":
    main()
