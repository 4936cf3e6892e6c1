#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tools/coverage.py BUILD [FOLDER...]: what the host tests executed.

`make coverage` builds the host tests with gcc's --coverage into BUILD and
runs them; each library object then has counts in a .gcda file beside it,
once per variant (BUILD/host/obj/VARIANT/...: the tests built with flags of
their own). This merges them with gcov's JSON output: a line or branch
counts as executed if any variant executed it. It prints, per library
file, the lines and branches executed, then lists the lines no test
executed in the FOLDERs given (default: the driver core, blk/ vring/
virtio/), each with its source: where a test of a sequence may be missing.
"""
import glob
import gzip
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

LIBRARY = ("blk/", "vring/", "virtio/", "pci/", "fdt/", "part/", "plat/")


def gcov_files(gcda, scratch):
    """The JSON records gcov writes for one .gcda (one per source file)."""
    for old in glob.glob(os.path.join(scratch, "*.gcov.json.gz")):
        os.remove(old)
    subprocess.run(["gcov", "--json-format", "--branch-probabilities", "--object-directory",
                    os.path.dirname(gcda), gcda], cwd=scratch, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for name in glob.glob(os.path.join(scratch, "*.gcov.json.gz")):
        with gzip.open(name) as f:
            yield from json.load(f)["files"]


def merge(build):
    """{file: {line: count}} and {file: {line: [taken...]}} over every variant."""
    lines = defaultdict(dict)
    branches = defaultdict(dict)
    gcdas = glob.glob(os.path.join(build, "host", "obj", "**", "*.gcda"), recursive=True)
    if not gcdas:
        sys.exit(f"coverage: no .gcda under {build}/host/obj (run `make coverage`)")
    with tempfile.TemporaryDirectory() as scratch:
        for gcda in gcdas:
            for record in gcov_files(gcda, scratch):
                path = record["file"]
                if not path.startswith(LIBRARY):
                    continue
                for line in record["lines"]:
                    n = line["line_number"]
                    lines[path][n] = lines[path].get(n, 0) + line["count"]
                    taken = [b["count"] for b in line.get("branches", [])]
                    old = branches[path].get(n)
                    if taken and (old is None or len(old) == len(taken)):
                        branches[path][n] = [a + b for a, b in zip(old or [0] * len(taken), taken)]
    return lines, branches


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build, folders = sys.argv[1], tuple(sys.argv[2:]) or ("blk/", "vring/", "virtio/")
    folders = tuple(f if f.endswith("/") else f + "/" for f in folders)
    lines, branches = merge(build)

    print(f"{'host tests, executed':40} {'lines':>13} {'branches':>15}")
    total = [0, 0, 0, 0]
    for path in sorted(lines):
        run = sum(1 for c in lines[path].values() if c > 0)
        taken = [t for counts in branches[path].values() for t in counts]
        hit = sum(1 for t in taken if t > 0)
        total = [total[0] + run, total[1] + len(lines[path]), total[2] + hit, total[3] + len(taken)]
        print(f"  {path:38} {run:5}/{len(lines[path]):<5} {100 * run // len(lines[path]):3}%"
              f" {hit:5}/{len(taken):<5}")
    print(f"{'library':40} {total[0]:5}/{total[1]:<5} {100 * total[0] // total[1]:3}%"
          f" {total[2]:5}/{total[3]:<5}")

    print(f"\nlines no host test executed in {' '.join(folders)}:")
    for path in sorted(p for p in lines if p.startswith(folders)):
        source = open(path, encoding="utf-8").read().split("\n")
        for n in sorted(n for n, c in lines[path].items() if c == 0):
            print(f"  {path}:{n}: {source[n - 1].strip()}")


if __name__ == "__main__":
    main()
