#!/usr/bin/env python3
"""Independent scorer for the held-out detection set (python3 stdlib only).

Re-implements the matching rule of docs/eval-datasets.md ("Detection scoring")
without the Go scorer, so `logtriage eval` can be checked against it:

    logtriage scan --format jsonl logs/*.log > /tmp/scan.jsonl   (in this directory)
    python3 score.py dataset.jsonl /tmp/scan.jsonl [--misses]

A prediction and a gold span pair up when they have the same type and overlap
by at least half of the shorter range; pairs are taken greedily by largest
overlap (ties: earlier gold, then earlier prediction), one-to-one. Pairs are
TP, leftover predictions FP (under their type), leftover gold FN.
"""
import json
import os
import sys
from collections import defaultdict


def load_dataset(path):
    base = os.path.dirname(os.path.abspath(path))
    cases = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                c = json.loads(line)
                c["_path"] = os.path.normpath(os.path.join(base, c["file"]))
                cases.append(c)
    return cases


def load_predictions(path):
    """scan jsonl: one finding per line; keyed by the file's absolute path."""
    preds = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                p = json.loads(line)
                preds[os.path.normpath(os.path.abspath(p["file"]))].append(
                    {"type": p["type"], "start": p["start"], "end": p["end"], "line": p.get("line")})
    return preds


def match(gold, pred):
    cands = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if g["type"] != p["type"]:
                continue
            ov = min(g["end"], p["end"]) - max(g["start"], p["start"])
            shorter = min(g["end"] - g["start"], p["end"] - p["start"])
            if ov > 0 and 2 * ov >= shorter:
                cands.append((-ov, gi, pi))
    cands.sort()
    used_g, used_p, pairs = set(), set(), []
    for _, gi, pi in cands:
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            pairs.append((gi, pi))
    fn = [g for i, g in enumerate(gold) if i not in used_g]
    fp = [p for i, p in enumerate(pred) if i not in used_p]
    return pairs, fp, fn


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def context(content, start, end, width=50):
    """The line around a span with the value itself replaced by its type-free length."""
    ls = content.rfind(b"\n", 0, start) + 1
    le = content.find(b"\n", end)
    le = len(content) if le < 0 else le
    before = content[max(ls, start - width):start].decode("utf-8", "replace")
    after = content[end:min(le, end + width)].decode("utf-8", "replace")
    return "%s[[%d bytes]]%s" % (before, end - start, after)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    show = "--misses" in argv
    cases = load_dataset(argv[1])
    preds = load_predictions(argv[2])
    counts = defaultdict(lambda: [0, 0, 0])
    misses = []
    for c in cases:
        if c.get("findings") is None:
            continue
        pairs, fp, fn = match(c["findings"], preds.get(c["_path"], []))
        for gi, _ in pairs:
            counts[c["findings"][gi]["type"]][0] += 1
        content = open(c["_path"], "rb").read()
        for p in fp:
            counts[p["type"]][1] += 1
            misses.append(("FP", c["id"], p, context(content, p["start"], p["end"])))
        for g in fn:
            counts[g["type"]][2] += 1
            misses.append(("FN", c["id"], g, context(content, g["start"], g["end"])))
    print("%-24s %5s %5s %5s %6s %6s %6s" % ("type", "TP", "FP", "FN", "P", "R", "F1"))
    tot = [0, 0, 0]
    macro = [0.0, 0.0, 0.0]
    for t in sorted(counts):
        tp, fp, fn = counts[t]
        p, r, f = prf(tp, fp, fn)
        print("%-24s %5d %5d %5d %6.3f %6.3f %6.3f" % (t, tp, fp, fn, p, r, f))
        tot = [a + b for a, b in zip(tot, counts[t])]
        macro = [a + b for a, b in zip(macro, (p, r, f))]
    p, r, f = prf(*tot)
    print("%-24s %5d %5d %5d %6.3f %6.3f %6.3f" % ("overall (micro)", tot[0], tot[1], tot[2], p, r, f))
    n = len(counts) or 1
    print("%-24s %17s %6.3f %6.3f %6.3f" % ("overall (macro)", "", macro[0] / n, macro[1] / n, macro[2] / n))
    if show:
        for kind, cid, s, ctx in misses:
            print("%s %s %s [%d,%d) %s" % (kind, cid, s["type"], s["start"], s["end"], ctx))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
