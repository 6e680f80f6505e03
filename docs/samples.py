#!/usr/bin/env python3
"""samples.py - the command output shown in the docs, regenerated from the
commands themselves so that it cannot drift from the code.

In a Markdown file, a fenced code block right after a marker line

    <!-- sample: mmfuzz replay corpus/regressions/x.trace --compact -->

holds the output of that command.  Optional lines before it,

    <!-- sample-setup: mmfuzz run ... --trace t.trace -->

run first and show nothing.  Commands run with bash in a scratch directory
(one per Markdown file, so setup output persists for the file's later
samples) where corpus/ points at the repository's, and `mmfuzz` is the CLI
given with --mmfuzz.  A sample whose command prints the CLI's own path shows
`mmfuzz` instead.

usage: docs/samples.py --mmfuzz PATH [--check] [FILE.md ...]
  default files: README.md, docs/*.md, corpus/*/*.md
  --check  change nothing; exit 1 and show a diff if any sample is stale
"""
import difflib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = re.compile(r"^<!-- sample: (.*) -->$")
SETUP = re.compile(r"^<!-- sample-setup: (.*) -->$")


def die(msg):
    print("samples.py: " + msg, file=sys.stderr)
    sys.exit(2)


def run(cmd, cwd, env, mmfuzz):
    p = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    out = p.stdout.decode("utf-8", "replace").replace(mmfuzz, "mmfuzz")
    lines = [l.rstrip() for l in out.rstrip("\n").split("\n")]
    return "\n".join(lines) + "\n"


def process(path, mmfuzz, check):
    with open(path) as f:
        text = f.read()
    if "<!-- sample: " not in text:
        return True
    lines = text.split("\n")
    work = tempfile.mkdtemp(prefix="mmfuzz-samples-")
    try:
        os.symlink(os.path.join(ROOT, "corpus"), os.path.join(work, "corpus"))
        bindir = os.path.join(work, ".bin")
        os.mkdir(bindir)
        os.symlink(mmfuzz, os.path.join(bindir, "mmfuzz"))
        env = dict(os.environ, PATH=bindir + ":" + os.environ.get("PATH", ""), LC_ALL="C")
        out, i = [], 0
        while i < len(lines):
            line = lines[i]
            out.append(line)
            m = SETUP.match(line)
            if m:
                run(m.group(1), work, env, mmfuzz)
                i += 1
                continue
            m = MARK.match(line)
            if not m:
                i += 1
                continue
            if i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
                die("%s:%d: a sample marker must be followed by a code block" % (path, i + 1))
            end = i + 2
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            if end >= len(lines):
                die("%s:%d: unterminated code block" % (path, i + 2))
            out.append(lines[i + 1])
            out.extend(run(m.group(1), work, env, mmfuzz).rstrip("\n").split("\n"))
            out.append(lines[end])
            i = end + 1
        new = "\n".join(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if new == text:
        return True
    if check:
        rel = os.path.relpath(path, ROOT)
        sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                   rel, rel + " (regenerated)", n=1))
        return False
    with open(path, "w") as f:
        f.write(new)
    print("samples.py: updated " + os.path.relpath(path, ROOT))
    return True


def main(argv):
    mmfuzz, check, files = None, False, []
    it = iter(argv)
    for a in it:
        if a == "--mmfuzz":
            mmfuzz = next(it, None)
        elif a == "--check":
            check = True
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        elif a.startswith("-"):
            die("unknown option '%s' (see --help)" % a)
        else:
            files.append(a)
    if not mmfuzz or not os.access(mmfuzz, os.X_OK):
        die("give the mmfuzz CLI with --mmfuzz PATH")
    mmfuzz = os.path.abspath(mmfuzz)
    if not files:
        files = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) \
            + sorted(glob.glob(os.path.join(ROOT, "corpus", "*", "*.md")))
    ok = all([process(f, mmfuzz, check) for f in files])
    if not ok:
        print("samples.py: stale samples; regenerate with: docs/samples.py --mmfuzz build/default/fuzz/mmfuzz")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
