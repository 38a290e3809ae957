#!/usr/bin/env python3
"""Compares uniqcount output (JSON lines) with an *.expected.jsonl file.

usage: compare-expected.py EXPECTED ACTUAL [--rse-factor K]
Exact counters must match exactly; hll results must be within K (default 3) x their rse of the
expected value (small windows are exact in hll too). The latest record per window is used.
Exits 1 listing the differences.
"""
import json, sys

def main():
    args = sys.argv[1:]
    factor = 3.0
    if "--rse-factor" in args:
        i = args.index("--rse-factor"); factor = float(args[i + 1]); del args[i:i + 2]
    expected = {}
    for line in open(args[0]):
        r = json.loads(line); expected[(r["window"], r["start"])] = r
    actual = {}
    for line in open(args[1]):
        r = json.loads(line); actual[(r["window"], r["start"])] = r
    bad = 0; worst = 0.0
    for k, e in expected.items():
        a = actual.get(k)
        if a is None:
            print("missing", k); bad += 1; continue
        if a["frames"] != e["frames"]:
            print("frames differ", k, e["frames"], a["frames"]); bad += 1
        err = abs(a["uniques"] - e["uniques"]) / max(1, e["uniques"])
        worst = max(worst, err)
        rse = a.get("rse", 0) or 0
        if (rse == 0 and a["uniques"] != e["uniques"]) or (rse > 0 and err > factor * rse):
            print("uniques differ", k, e["uniques"], a["uniques"], "rse", rse); bad += 1
    for k in actual:
        if k not in expected:
            print("unexpected window", k); bad += 1
    print(f"{len(expected)} windows, {bad} differences, worst relative error {worst:.4%}")
    sys.exit(1 if bad else 0)

main()
