#!/usr/bin/env python3
"""mutants.py - the mutation self-test: parse, check, apply and revert the
mutants in bench/mutants/*.mut, and run them against mmfuzz hunt.

  mutants.py check [--root DIR] [MUT...]       every mutant parses, its find blocks
                                               occur exactly once, apply+revert is clean
  mutants.py apply MUT --root DIR              apply one mutant to the tree at DIR
  mutants.py revert MUT --root DIR             put the mutated file back as it was
  mutants.py callers FUNCTION [--root DIR]     the direct callers the report check accepts
  mutants.py run [options]                     the self-test (bench/mutants/run.sh)
  mutants.py report [--out DIR]                rewrite table.md from results.json

Mutant file format (one small text file per mutant, NN-name.mut):

  file: core/swapfile.c          the file to change, relative to the tree
  function: swapcache_prepare    the mutated function
  kind: dropped-lock             dropped-lock, wrong-lock, missing-get, missing-put,
                                 double-put, removed-recheck, reordered-publish,
                                 skipped-free, rcu-removed, put-before-use
  description: one line
  expect: cannot-fail: why       optional; only for a mutant that no interleaving
                                 of the model can make fail
  --- find
  <lines of the current code>
  --- replace
  <lines that replace them>
  (more find/replace pairs may follow)

Lines are compared with leading and trailing whitespace ignored (so a
re-indentation does not break a mutant), as a contiguous run of lines; each
find block must occur exactly once in the file (checked against the original
file before any replacement), or the applier fails with exit status 2.
Blank and '#' lines before the first find block are comments.
"""
import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
KINDS = {"dropped-lock", "wrong-lock", "missing-get", "missing-put", "double-put",
         "removed-recheck", "reordered-publish", "skipped-free", "rcu-removed",
         "put-before-use"}
BACKUP = ".mutant-orig"


class MutError(Exception):
    pass


def die(msg):
    print("mutants: " + msg, file=sys.stderr)
    sys.exit(2)


# ---- parsing and applying ---------------------------------------------------------

def parse(path):
    name = os.path.basename(path)
    if not name.endswith(".mut"):
        raise MutError("%s: a mutant file ends in .mut" % path)
    m = {"name": name[:-4], "path": path, "hunks": []}
    with open(path) as fh:
        text = fh.read()
    m["sha"] = hashlib.sha256(text.encode()).hexdigest()[:16]
    cur = None                      # the list being filled
    for ln, line in enumerate(text.split("\n"), 1):
        if line.rstrip() in ("--- find", "--- replace"):
            what = line.rstrip()[4:]
            if what == "find":
                if m["hunks"] and m["hunks"][-1]["replace"] is None:
                    raise MutError("%s:%d: find without a replace before it" % (path, ln))
                m["hunks"].append({"find": [], "replace": None})
                cur = m["hunks"][-1]["find"]
            else:
                if not m["hunks"] or m["hunks"][-1]["replace"] is not None:
                    raise MutError("%s:%d: replace without a find" % (path, ln))
                m["hunks"][-1]["replace"] = []
                cur = m["hunks"][-1]["replace"]
            continue
        if cur is not None:
            cur.append(line)
            continue
        if not line.strip() or line.startswith("#"):
            continue
        k, sep, v = line.partition(":")
        if not sep:
            raise MutError("%s:%d: expected 'key: value' or '--- find'" % (path, ln))
        m[k.strip()] = v.strip()
    for k in ("file", "function", "kind", "description"):
        if not m.get(k):
            raise MutError("%s: header field '%s' missing" % (path, k))
    if m["kind"] not in KINDS:
        raise MutError("%s: unknown kind '%s' (one of %s)" % (path, m["kind"], ", ".join(sorted(KINDS))))
    if not m["hunks"]:
        raise MutError("%s: no find/replace block" % path)
    for h in m["hunks"]:
        if h["replace"] is None:
            raise MutError("%s: a find block has no replace block" % path)
        # the blank line that ends a block before the next marker is not part of it
        for blk in ("find", "replace"):
            while h[blk] and not h[blk][-1].strip():
                h[blk].pop()
        if not any(x.strip() for x in h["find"]):
            raise MutError("%s: empty find block" % path)
    exp = m.get("expect", "can-fail")
    m["cannot_fail"] = exp.startswith("cannot-fail")
    m["expect_reason"] = exp.partition(":")[2].strip() if m["cannot_fail"] else ""
    if m["cannot_fail"] and not m["expect_reason"]:
        raise MutError("%s: 'expect: cannot-fail' needs a reason after a colon" % path)
    return m


def _find_all(lines, block):
    key = [x.strip() for x in block]
    norm = [x.strip() for x in lines]
    n = len(key)
    return [i for i in range(len(norm) - n + 1) if norm[i:i + n] == key]


def mutate_text(m, text):
    """The mutated text, or MutError if a find block does not occur exactly once."""
    lines = text.split("\n")
    spans = []
    for k, h in enumerate(m["hunks"]):
        at = _find_all(lines, h["find"])
        if len(at) != 1:
            raise MutError("%s: find block %d occurs %d times in %s (must be exactly once)"
                           % (m["name"], k + 1, len(at), m["file"]))
        spans.append((at[0], at[0] + len(h["find"]), h["replace"]))
    spans.sort()
    for a, b in zip(spans, spans[1:]):
        if a[1] > b[0]:
            raise MutError("%s: find blocks overlap" % m["name"])
    for start, end, rep in reversed(spans):
        lines[start:end] = rep
    return "\n".join(lines)


def apply(m, root):
    target = os.path.join(root, m["file"])
    if not os.path.isfile(target):
        raise MutError("%s: %s not found under %s" % (m["name"], m["file"], root))
    if os.path.exists(target + BACKUP):
        raise MutError("%s: %s is already mutated (revert first)" % (m["name"], m["file"]))
    with open(target) as fh:
        text = fh.read()
    new = mutate_text(m, text)
    shutil.copy2(target, target + BACKUP)
    with open(target, "w") as fh:
        fh.write(new)


def revert(m, root):
    target = os.path.join(root, m["file"])
    if not os.path.exists(target + BACKUP):
        raise MutError("%s: %s is not mutated" % (m["name"], m["file"]))
    os.replace(target + BACKUP, target)
    # the backup kept the original's time stamp, older than the objects
    # built from the mutated file: make the build see the change back
    os.utime(target, None)


def all_mutants(names=None):
    files = sorted(glob.glob(os.path.join(HERE, "*.mut")))
    muts = [parse(f) for f in files]
    if names:
        want = [x for x in names.split(",") if x]
        muts = [m for m in muts if any(w == m["name"] or w in m["name"] for w in want)]
        if not muts:
            raise MutError("no mutant matches '%s'" % names)
    return muts


def cmd_check(args):
    """Every mutant parses, matches exactly once in the tree, and applies and
    reverts cleanly (on a copy of the file, the tree is not touched)."""
    root = os.path.abspath(args.root)
    paths = args.muts or sorted(glob.glob(os.path.join(HERE, "*.mut")))
    if not paths:
        die("no mutant files")
    bad = 0
    names = set()
    with tempfile.TemporaryDirectory() as tmp:
        for p in paths:
            try:
                m = parse(p)
                if m["name"][:2] in names:
                    raise MutError("%s: number %s is used twice" % (p, m["name"][:2]))
                names.add(m["name"][:2])
                src = os.path.join(root, m["file"])
                with open(src) as fh:
                    orig = fh.read()
                if not re.search(r"\b%s\)?\s*\(" % re.escape(m["function"]), orig):
                    raise MutError("%s: function %s not in %s" % (m["name"], m["function"], m["file"]))
                # apply and revert on a scratch copy of the file's directory entry
                copy = os.path.join(tmp, m["file"])
                os.makedirs(os.path.dirname(copy), exist_ok=True)
                shutil.copy2(src, copy)
                apply(m, tmp)
                with open(copy) as fh:
                    mutated = fh.read()
                if mutated == orig:
                    raise MutError("%s: the mutant changes nothing" % m["name"])
                try:
                    apply(m, tmp)
                    raise MutError("%s: applied twice without complaint" % m["name"])
                except MutError as e:
                    if "already mutated" not in str(e):
                        raise
                revert(m, tmp)
                with open(copy) as fh:
                    if fh.read() != orig or os.path.exists(copy + BACKUP):
                        raise MutError("%s: revert did not restore %s" % (m["name"], m["file"]))
                os.remove(copy)
                print("ok   %-40s %s %s()" % (m["name"], m["file"], m["function"]))
            except (MutError, OSError) as e:
                print("FAIL %s" % e)
                bad += 1
    if bad:
        print("mutants: %d of %d mutant(s) do not apply" % (bad, len(paths)), file=sys.stderr)
        sys.exit(2)
    print("mutants: %d mutant(s) parse, match exactly once and revert cleanly" % len(paths))


# ---- callers: the heuristic for "the report names the function or a caller" --------

FUNC_DEF = re.compile(r"^[A-Za-z_][\w \*]*?\(?\b([A-Za-z_]\w*)\)?\s*\([^;]*$")


def functions_in(path):
    """(name, body text) for each top-level function definition of a C file:
    a line at column 0 that looks like a declarator, then a '{' at column 0
    (the kernel style this project uses), up to the next '}' at column 0."""
    with open(path) as fh:
        lines = fh.read().split("\n")
    out, i = [], 0
    while i < len(lines):
        mo = FUNC_DEF.match(lines[i])
        if mo and not lines[i].startswith(("static inline", "#")):
            j = i
            while j < len(lines) and not lines[j].startswith("{") and j - i < 4:
                j += 1
            if j < len(lines) and lines[j].startswith("{"):
                k = j
                while k < len(lines) and not lines[k].startswith("}"):
                    k += 1
                out.append((mo.group(1), "\n".join(lines[j:k + 1])))
                i = k + 1
                continue
        i += 1
    return out


def callers(func, root):
    pat = re.compile(r"\b%s\s*\(" % re.escape(func))
    res = set()
    for p in sorted(glob.glob(os.path.join(root, "core", "*.c"))):
        for name, body in functions_in(p):
            if name != func and pat.search(body):
                res.add(name)
    return sorted(res)


def cmd_callers(args):
    print(" ".join(callers(args.function, os.path.abspath(args.root))))


# ---- running ------------------------------------------------------------------------

def tree_hash(root):
    """What a result depends on besides the mutant: the model, the scheduler,
    the fuzzer and the build files."""
    h = hashlib.sha256()
    for d in ("core", "sched", "fuzz", "cmake"):
        for dp, dns, fns in os.walk(os.path.join(root, d)):
            dns.sort()
            for fn in sorted(fns):
                if fn.endswith(BACKUP):
                    continue
                p = os.path.join(dp, fn)
                h.update(os.path.relpath(p, root).encode())
                with open(p, "rb") as fh:
                    h.update(hashlib.sha256(fh.read()).digest())
    for fn in ("CMakeLists.txt", "CMakePresets.json"):
        with open(os.path.join(root, fn), "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:16]


SYNC_SKIP = {".git", "build", "mmfuzz-out"}


def sync_tree(src, dst):
    """Make dst a copy of src (without .git and build/), copying only files
    whose content differs, so the scratch build stays incremental."""
    os.makedirs(dst, exist_ok=True)
    seen = set()
    for dp, dns, fns in os.walk(src):
        rel = os.path.relpath(dp, src)
        if rel == ".":
            dns[:] = [d for d in dns if d not in SYNC_SKIP]
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        seen.add(os.path.normpath(rel))
        for fn in fns:
            if fn.endswith(BACKUP):
                continue
            s, d = os.path.join(dp, fn), os.path.join(dst, rel, fn)
            seen.add(os.path.normpath(os.path.join(rel, fn)))
            with open(s, "rb") as fh:
                data = fh.read()
            if os.path.isfile(d):
                with open(d, "rb") as fh:
                    if fh.read() == data:
                        continue
            shutil.copy2(s, d)
    for dp, dns, fns in os.walk(dst, topdown=True):
        rel = os.path.relpath(dp, dst)
        if rel == ".":
            dns[:] = [d for d in dns if d not in SYNC_SKIP]
        for fn in fns:
            r = os.path.normpath(os.path.join(rel, fn))
            if r not in seen:
                os.remove(os.path.join(dp, fn))


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def sh(cmd, cwd, logf):
    with open(logf, "w") as fh:
        return subprocess.run(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT).returncode


def hunt_once(mmfuzz, seed, execs, work, timeout_ms):
    """One hunt, stopped at its first finding (SIGTERM: hunt still writes its
    JSON).  Returns the JSON and the wall time."""
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    js = os.path.join(work, "hunt.json")
    if os.path.exists(js):
        os.remove(js)
    cmd = [mmfuzz, "hunt", "--bugs", "none", "--jobs", "1", "--execs", str(execs),
           "--seed", str(seed), "--out", out, "--json", js, "--timeout-ms", str(timeout_ms)]
    env = dict(os.environ)
    env.pop("MMFUZZ_BUGS", None)
    t0 = time.time()
    p = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=env, text=True, errors="replace")
    stopped = False
    for line in p.stderr:
        if not stopped and "new finding:" in line:
            p.send_signal(signal.SIGTERM)
            stopped = True
    p.wait()
    secs = time.time() - t0
    try:
        with open(js) as fh:
            return json.load(fh), secs, p.returncode
    except (OSError, ValueError):
        return None, secs, p.returncode


def replay_report(mmfuzz, trace, work):
    """The report of the reproducer's replay (`mmfuzz replay --quiet`), and
    the functions of the failing task's last scheduling points in the replay
    table (where it stood when the check fired)."""
    if not trace or not os.path.exists(trace):
        return "", []
    try:
        r = subprocess.run([mmfuzz, "replay", trace], cwd=work, capture_output=True,
                           text=True, errors="replace", timeout=120)
    except subprocess.TimeoutExpired:
        return "(replay timed out)", []
    out = r.stdout + r.stderr
    lines = out.split("\n")
    report = [l for l in lines if not re.match(r"^\s*(step\s*\||\d+\s*\||-+\+)", l)]
    return "\n".join(report).strip(), last_sites(lines, out)


def last_sites(lines, out, depth=8):
    mo = re.search(r"in task (\d+) ", out)
    if not mo:
        return []
    task = "T" + mo.group(1)
    col = None
    sites = []
    for l in lines:
        cells = [c.strip() for c in l.split("|")]
        if len(cells) > 2 and cells[0] == "step":
            col = next((i for i, c in enumerate(cells) if c.split(" ")[0] == task), None)
            continue
        if col is None or len(cells) <= col or not re.match(r"^\d+$", cells[0]):
            continue
        fn = re.match(r"^([A-Za-z_]\w*):\d+", cells[col])
        if fn:
            sites.append(fn.group(1))
    res = []
    for s in sites[-depth:]:
        if s not in res:
            res.append(s)
    return res


def names_function(text, func, calls):
    for n in [func] + calls:
        if re.search(r"(?<![\w])%s(?![\w])" % re.escape(n), text):
            return n
    return None


def cmd_run(args):
    builds = [b for b in args.builds.split(",") if b]
    seeds = [int(s) for s in args.seeds.split(",") if s]
    for b in builds:
        if b not in ("default", "asan", "tsan"):
            die("unknown build '%s' (default, asan, tsan)" % b)
    try:
        muts = all_mutants(args.only)
    except MutError as e:
        die(str(e))
    out = os.path.abspath(args.out)
    raw = os.path.join(out, "raw")
    os.makedirs(raw, exist_ok=True)
    scratch = os.path.abspath(args.scratch)
    src = os.path.join(scratch, "src")
    work = os.path.join(scratch, "work")
    os.makedirs(work, exist_ok=True)
    log("syncing the tree to %s" % src)
    # a mutant left applied by an interrupted run: put it back first
    for p in glob.glob(os.path.join(src, "**", "*" + BACKUP), recursive=True):
        os.replace(p, p[:-len(BACKUP)])
    sync_tree(REPO, src)
    # a run stopped between a revert and its rebuild leaves objects built from
    # a mutant: touch the model's files so the first build recompiles them
    for p in glob.glob(os.path.join(src, "core", "*")):
        os.utime(p, None)
    th = tree_hash(src)
    log("tree %s, %d mutant(s), builds %s, seeds %s, %d executions" %
        (th, len(muts), ",".join(builds), ",".join(map(str, seeds)), args.execs))
    entries = ([{"name": "00-baseline", "file": "", "function": "", "kind": "none",
                 "description": "the unmutated tree (must stay clean)", "sha": "0",
                 "cannot_fail": False, "expect_reason": "", "hunks": []}]
               if args.baseline else []) + muts
    t_all = time.time()
    for b in builds:
        bdir = os.path.join(src, "build", b)
        if not os.path.exists(os.path.join(bdir, "CMakeCache.txt")):
            log("%s: configure" % b)
            if sh(["cmake", "--preset", b], src, os.path.join(work, "configure.log")):
                die("configure %s failed: %s" % (b, os.path.join(work, "configure.log")))
        mmfuzz = os.path.join(bdir, "fuzz", "mmfuzz")
        for m in entries:
            cells = {s: os.path.join(raw, b, m["name"], "seed-%d.json" % s) for s in seeds}
            todo = []
            for s, cf in cells.items():
                if not args.force and os.path.exists(cf):
                    try:
                        with open(cf) as fh:
                            old = json.load(fh)
                        if (old.get("tree") == th and old.get("mutant_sha") == m["sha"]
                                and old.get("budget") == args.execs):
                            continue
                    except ValueError:
                        pass
                todo.append(s)
            if not todo:
                log("%s %-40s done before (kept)" % (b, m["name"]))
                continue
            applied = False
            try:
                if m["hunks"]:
                    apply(m, src)
                    applied = True
                t0 = time.time()
                rc = sh(["cmake", "--build", "--preset", b, "--target", "mmfuzz", "-j",
                         str(args.build_jobs)], src, os.path.join(work, "build.log"))
                build_s = time.time() - t0
                if rc:
                    log("%s %-40s BUILD FAILED (%s)" % (b, m["name"], os.path.join(work, "build.log")))
                    for s in todo:
                        write_cell(cells[s], {"mutant": m["name"], "build": b, "seed": s,
                                              "tree": th, "mutant_sha": m["sha"],
                                              "budget": args.execs, "status": "build-failed"})
                    continue
                calls = callers(m["function"], src) if m["function"] else []
                results = run_seeds(mmfuzz, m, b, todo, args, work, calls)
                for s, r in results.items():
                    r.update({"tree": th, "mutant_sha": m["sha"], "budget": args.execs,
                              "build_seconds": round(build_s, 1), "callers": calls})
                    write_cell(cells[s], r)
                    log("%s %-40s seed %d: %s" % (b, m["name"], s, summary(r)))
            finally:
                if applied:
                    revert(m, src)
    log("all done in %.0f s" % (time.time() - t_all))
    collect(out, builds_hint=builds)


def run_seeds(mmfuzz, m, b, seeds, args, work, calls):
    """Hunt the given seeds, up to --jobs at a time, each in its own work dir."""
    from concurrent.futures import ThreadPoolExecutor

    def one(s):
        wd = os.path.join(work, "%s-seed%d" % (b, s))
        os.makedirs(wd, exist_ok=True)
        js, secs, rc = hunt_once(mmfuzz, s, args.execs, wd, args.timeout_ms)
        r = {"mutant": m["name"], "build": b, "seed": s, "seconds": round(secs, 1), "rc": rc}
        if js is None:
            r.update({"status": "hunt-error", "caught": False})
            return s, r
        fs = sorted(js.get("findings", []), key=lambda x: x["first_execution"])
        r["executions"] = js.get("executions")
        if not fs:
            r.update({"status": "missed", "caught": False})
            return s, r
        f = fs[0]
        text, where = replay_report(mmfuzz, f.get("reproducer"), wd)
        hay = f.get("signature", "") + "\n" + text + "\n" + " ".join(where)
        named = names_function(hay, m["function"], calls) if m["function"] else None
        r.update({"status": "caught", "caught": True, "first_execution": f["first_execution"],
                  "class": f["class"], "signature": f.get("signature", ""),
                  "report": text[:4000], "last_sites": where, "named": named,
                  "names_function": named is not None})
        return s, r

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        return dict(ex.map(one, seeds))


def write_cell(path, r):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(r, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)


def summary(r):
    if r.get("status") != "caught":
        return "%s after %s executions, %.1f s" % (
            "no finding" if r.get("status") == "missed" else r.get("status"), r.get("executions"), r.get("seconds", 0))
    return "caught %s at execution %d, %.1f s, report names %s" % (
        r["class"], r["first_execution"], r.get("seconds", 0), r.get("named") or "neither function nor caller")


# ---- results.json and table.md ---------------------------------------------------------

BUILDS = ("default", "asan", "tsan")


def fmt_execs(n):
    if n is None:
        return "-"
    if n >= 1000000:
        return "%.2fM" % (n / 1e6)
    if n >= 10000:
        return "%dk" % round(n / 1000)
    return str(n)


def collect(out, builds_hint=()):
    raw = os.path.join(out, "raw")
    try:
        muts = {m["name"]: m for m in all_mutants()}
    except MutError as e:
        die(str(e))
    cells = []
    for p in sorted(glob.glob(os.path.join(raw, "*", "*", "seed-*.json"))):
        with open(p) as fh:
            cells.append(json.load(fh))
    names = sorted({c["mutant"] for c in cells})
    builds = [b for b in BUILDS if any(c["build"] == b for c in cells)]
    res = {"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "commit": git_commit(), "builds": builds, "mutants": []}
    for n in names:
        m = muts.get(n, {"name": n, "file": "", "function": "", "kind": "none",
                         "description": "the unmutated tree (must stay clean)",
                         "cannot_fail": False, "expect_reason": ""})
        row = {k: m.get(k) for k in ("name", "file", "function", "kind", "description",
                                     "cannot_fail", "expect_reason")}
        row["builds"] = {}
        for b in builds:
            cs = sorted([c for c in cells if c["mutant"] == n and c["build"] == b],
                        key=lambda c: c["seed"])
            if cs:
                row["builds"][b] = {"seeds": [{k: c.get(k) for k in (
                    "seed", "status", "caught", "first_execution", "class", "signature",
                    "named", "names_function", "last_sites", "seconds", "budget", "executions", "tree",
                    "callers", "report")} for c in cs]}
        res["mutants"].append(row)
    # catch rates per build, over the mutants that can fail
    res["catch_rates"] = {}
    for b in builds:
        rows = [r for r in res["mutants"] if r["kind"] != "none" and not r["cannot_fail"]
                and b in r["builds"]]
        caught = [r for r in rows if any(s["caught"] for s in r["builds"][b]["seeds"])]
        all_seeds = [r for r in rows if all(s["caught"] for s in r["builds"][b]["seeds"])]
        named = [r for r in caught if any(s.get("names_function") for s in r["builds"][b]["seeds"]
                                          if s["caught"])]
        res["catch_rates"][b] = {"mutants": len(rows), "caught_any_seed": len(caught),
                                 "caught_every_seed": len(all_seeds),
                                 "report_names_function": len(named)}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as fh:
        json.dump(res, fh, indent=1, sort_keys=True)
        fh.write("\n")
    with open(os.path.join(out, "table.md"), "w") as fh:
        fh.write(table_md(res))
    return res


def git_commit():
    try:
        return subprocess.run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


def cell_md(row, b):
    if b not in row["builds"]:
        return "not run"
    ss = row["builds"][b]["seeds"]
    if any(s["status"] == "build-failed" for s in ss):
        return "build failed"
    if not any(s["caught"] for s in ss):
        budget = max((s.get("budget") or 0) for s in ss)
        tag = "clean" if row["kind"] == "none" else "**missed**"
        if row["cannot_fail"]:
            tag = "not caught (cannot fail)"
        return "%s (%s x %d)" % (tag, fmt_execs(budget), len(ss))
    ex = " / ".join(fmt_execs(s["first_execution"]) if s["caught"] else "missed" for s in ss)
    cls = sorted({s["class"] for s in ss if s["caught"]})
    nm = [s for s in ss if s["caught"]]
    named = sum(1 for s in nm if s.get("names_function"))
    tag = "caught" if row["kind"] != "none" else "**FINDING**"
    return "%s: %s execs; %s; names: %s" % (tag, ex, ", ".join(cls),
                                            "yes" if named == len(nm) else ("no" if not named else "%d/%d" % (named, len(nm))))


def table_md(res):
    builds = res["builds"]
    L = ["| mutant | kind | function | " + " | ".join(builds) + " |",
         "|---|---|---|" + "---|" * len(builds)]
    for r in res["mutants"]:
        name = r["name"] + (" (expect: cannot fail)" if r["cannot_fail"] else "")
        fn = "`%s()` (%s)" % (r["function"], r["file"]) if r["function"] else "-"
        L.append("| %s | %s | %s | %s |" % (name, r["kind"], fn,
                                            " | ".join(cell_md(r, b) for b in builds)))
    L.append("")
    L.append("Catch rates (mutants that can fail in the model; baseline and `expect: cannot-fail` "
             "rows not counted):")
    L.append("")
    L.append("| build | mutants | caught (any seed) | caught (every seed) | report names function or caller |")
    L.append("|---|---|---|---|---|")
    for b in builds:
        c = res["catch_rates"][b]
        L.append("| %s | %d | %d | %d | %d of %d caught |" % (
            b, c["mutants"], c["caught_any_seed"], c["caught_every_seed"],
            c["report_names_function"], c["caught_any_seed"]))
    cf = [r for r in res["mutants"] if r["cannot_fail"]]
    if cf:
        L.append("")
        for r in cf:
            L.append("- %s cannot fail in the model: %s" % (r["name"], r["expect_reason"]))
    L.append("")
    L.append("Each cell: executions to the first finding per seed (seeds in order), the failure "
             "class(es), and whether the report (the hunt's signature, the replay's report and the "
             "failing task's last 8 scheduling points) names the mutated function or a direct caller "
             "of it. Budget per hunt in the missed cells (executions x seeds). Commit `%s`, "
             "generated %s." % (res["commit"], res["generated"]))
    L.append("")
    return "\n".join(L)


def cmd_report(args):
    collect(os.path.abspath(args.out))
    print(os.path.join(os.path.abspath(args.out), "table.md"))


def main():
    ap = argparse.ArgumentParser(prog="mutants.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("check")
    p.add_argument("--root", default=REPO)
    p.add_argument("muts", nargs="*")
    p = sub.add_parser("apply")
    p.add_argument("mut")
    p.add_argument("--root", required=True)
    p = sub.add_parser("revert")
    p.add_argument("mut")
    p.add_argument("--root", required=True)
    p = sub.add_parser("callers")
    p.add_argument("function")
    p.add_argument("--root", default=REPO)
    p = sub.add_parser("run")
    p.add_argument("--builds", default="default")
    p.add_argument("--execs", type=int, default=1500000)
    p.add_argument("--seeds", default="1,2")
    p.add_argument("--jobs", type=int, default=1, help="seeds hunted at once")
    p.add_argument("--build-jobs", type=int, default=2)
    p.add_argument("--only", default="")
    p.add_argument("--out", default=os.path.join(REPO, "docs", "data", "mutants"))
    p.add_argument("--scratch", default=os.path.join(tempfile.gettempdir(),
                                                     "mmfuzz-mutants-%d" % os.getuid()))
    p.add_argument("--timeout-ms", type=int, default=2000)
    p.add_argument("--force", action="store_true")
    p.add_argument("--no-baseline", dest="baseline", action="store_false")
    p = sub.add_parser("report")
    p.add_argument("--out", default=os.path.join(REPO, "docs", "data", "mutants"))
    args = ap.parse_args()
    try:
        if args.cmd == "check":
            cmd_check(args)
        elif args.cmd in ("apply", "revert"):
            m = parse(args.mut)
            (apply if args.cmd == "apply" else revert)(m, os.path.abspath(args.root))
        elif args.cmd == "callers":
            cmd_callers(args)
        elif args.cmd == "run":
            if args.only:
                args.baseline = False
            cmd_run(args)
        elif args.cmd == "report":
            cmd_report(args)
    except MutError as e:
        die(str(e))


if __name__ == "__main__":
    main()
