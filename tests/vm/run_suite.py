#!/usr/bin/env python3
"""Runs the vm suite's GoogleTest program for one guest set-up inside the VM (tools/vm).

Meson calls this with the gtest protocol: it appends --gtest_output=xml:PATH, and this script
hands it the XML that the guest wrote, so each check shows up on its own in meson's test log.

Exit status: the guest program's, 77 (skip) when the VM cannot run here, except under CI=true,
where a skipped or empty vm suite is a failure.
"""
import argparse
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

SKIP = 77
FILTERS = {"nodrm": "Nodrm*", "virtio": "Virtio*"}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip(reason: str) -> int:
    if in_ci():
        print(f"run_suite: FAIL: the vm suite would be skipped ({reason}); CI does not accept a skipped vm suite",
              file=sys.stderr)
        return 1
    print(f"run_suite: SKIP: {reason}", file=sys.stderr)
    return SKIP


def summarize(xml_path: str) -> tuple[int, int, int]:
    """(tests, failures, skipped) from a gtest XML report."""
    root = ET.parse(xml_path).getroot()
    tests = int(root.get("tests", 0))
    failures = int(root.get("failures", 0)) + int(root.get("errors", 0))
    skipped = sum(1 for tc in root.iter("testcase") if tc.get("result") == "skipped" or tc.find("skipped") is not None)
    return tests, failures, skipped


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vm", required=True, help="path of tools/vm")
    ap.add_argument("--setup", required=True, choices=sorted(FILTERS))
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("program", help="the vm suite's gtest program (runs in the guest)")
    args, rest = ap.parse_known_args()
    xml_out = None
    for a in rest:
        if a.startswith("--gtest_output=xml:"):
            xml_out = a.split(":", 1)[1]

    if not shutil.which("qemu-system-x86_64"):
        return skip("qemu-system-x86_64 is not installed (run tools/setup)")

    shutil.rmtree(args.artifacts, ignore_errors=True)
    os.makedirs(args.artifacts, exist_ok=True)
    program = os.path.abspath(args.program)
    guest_cmd = [
        "sh", "-c",
        'exec "$0" --gtest_filter="$1" --gtest_output=xml:"$DMAFEED_VM_ARTIFACTS/gtest.xml"',
        program, FILTERS[args.setup],
    ]
    cmd = [sys.executable, args.vm, "run", "--setup", args.setup, "--timeout", str(args.timeout),
           "--artifacts", args.artifacts, "--cwd", os.path.dirname(program), "--"] + guest_cmd
    print("run_suite: " + " ".join(cmd), flush=True)
    rc = subprocess.call(cmd, stdin=subprocess.DEVNULL)
    print(f"run_suite: guest exit status {rc}; artifacts in {args.artifacts}", flush=True)
    if rc == SKIP:
        return skip("the VM could not be prepared here (see the message above)")

    guest_xml = os.path.join(args.artifacts, "gtest.xml")
    if not os.path.exists(guest_xml):
        print("run_suite: FAIL: the guest program wrote no test report", file=sys.stderr)
        return rc or 1
    if xml_out:
        shutil.copyfile(guest_xml, xml_out)
    tests, failures, skipped = summarize(guest_xml)
    print(f"run_suite: {args.setup}: {tests} checks, {failures} failed, {skipped} skipped", flush=True)
    if tests == 0:
        print("run_suite: FAIL: no check ran in the guest", file=sys.stderr)
        return 1
    if skipped and in_ci():
        print("run_suite: FAIL: checks were skipped in the vm suite under CI", file=sys.stderr)
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
