#!/usr/bin/env python3
"""Checks dmafeed-conform's reports from one run (the vm suite's conform_test.cpp calls this).

Every report must parse and agree: the JSON's totals and cases, the JUnit XML's testsuite counts,
the TAP plan and lines, the HTML's case rows and thumbnails. Then the outcomes named with
--outcome ID=OUTCOME must be what the JSON says, and the run must have no mismatch.
Exit status 0, or 1 with every problem on stderr.
"""
import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", required=True)
    ap.add_argument("--junit", required=True)
    ap.add_argument("--tap", required=True)
    ap.add_argument("--html", required=True)
    ap.add_argument("--min-cases", type=int, default=1)
    ap.add_argument("--min-shown", type=int, default=0)
    ap.add_argument("--outcome", action="append", default=[], help="ID=OUTCOME")
    args = ap.parse_args()
    problems = []

    report = json.load(open(args.json))
    cases = {c["id"]: c for c in report["cases"]}
    totals = report["totals"]
    if totals["cases"] != len(report["cases"]):
        problems.append(f"JSON totals say {totals['cases']} cases, the list has {len(report['cases'])}")
    if totals["cases"] < args.min_cases:
        problems.append(f"{totals['cases']} cases, fewer than {args.min_cases}")
    if totals["mismatched"] != 0:
        problems.append(f"{totals['mismatched']} mismatched: " +
                        ", ".join(c["id"] for c in report["cases"] if c["verdict"] == "mismatch"))
    shown = [c for c in report["cases"] if c["outcome"] == "shown"]
    if len(shown) < args.min_shown:
        problems.append(f"{len(shown)} cases shown, fewer than {args.min_shown}")
    if any(not c["captured"] for c in shown):
        problems.append("a shown case has no captured picture")
    for spec in args.outcome:
        case_id, want = spec.split("=", 1)
        got = cases.get(case_id)
        if got is None:
            problems.append(f"{case_id}: not in the report")
        elif got["outcome"] != want or got["verdict"] != "pass":
            problems.append(f"{case_id}: {got['outcome']} ({got['verdict']}), want {want}: {got['detail']}")

    suite = ET.parse(args.junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    if int(suite.get("tests")) != totals["cases"] or int(suite.get("failures")) != totals["mismatched"] or \
            int(suite.get("skipped")) != totals["skipped"]:
        problems.append(f"JUnit counts {suite.get('tests')}/{suite.get('failures')}/{suite.get('skipped')} "
                        f"differ from the JSON's {totals['cases']}/{totals['mismatched']}/{totals['skipped']}")
    if len(suite.findall("testcase")) != totals["cases"]:
        problems.append("JUnit has another number of testcase elements")

    tap = open(args.tap).read().splitlines()
    if f"1..{totals['cases']}" not in tap:
        problems.append(f"TAP has no plan 1..{totals['cases']}")
    oks = [l for l in tap if re.match(r"^(not )?ok \d+ - ", l)]
    if len(oks) != totals["cases"] or sum(l.startswith("not ok") for l in oks) != totals["mismatched"]:
        problems.append("TAP's ok/not ok lines disagree with the JSON")

    html = open(args.html).read()
    thumbnails = html.count("data:image/png;base64,")
    if thumbnails < 2 * len(shown):
        problems.append(f"HTML has {thumbnails} thumbnails for {len(shown)} shown cases (2 each)")

    for p in problems:
        print("conform_report_check: " + p, file=sys.stderr)
    print(f"conform_report_check: {totals['cases']} cases, {len(shown)} shown, {totals['skipped']} skipped, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
