#!/usr/bin/env python3
"""Runs the vm suite's GoogleTest program for one guest set-up inside the VM (tools/vm).

Meson calls this with the gtest protocol: it appends --gtest_output=xml:PATH, and this script
hands it the XML that the guest wrote, so each check shows up on its own in meson's test log.

The HTML reports the guest left in the artifacts (dmafeed-conform's) are then loaded in headless
Chromium on the host, each a check of its own in that XML.

A session runs once: a compositor that died of a signal fails it, named with the kernel's line and
its log's path (weston's kiosk shell, which crashes now and then, is not used by the suite).

Exit status: the guest program's, 77 (skip) when the VM cannot run here, except under CI=true,
where a skipped or empty vm suite is a failure.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SKIP = 77
# The checks of the host's set-ups that also run against weston 16 on the sid root; the others
# expect weston 14 (its missing protocols, its conformance table) or Mesa 25.
NODRM_PLAYER_CHECKS = ":".join("NodrmCli." + name for name in (
    "SolidColourIsExactInTheCaptureAndTheJsonSummaryAddsUp",
    "TheCaptureTellsWhichFrameItShows",
    "OnLavapipeTheCpuRedrawsInPlaceAndTheCaptureIsTheWholeFrameItsStampNames",
    "UdmabufBuffersShowTheExactSolidColour",
    "AGpuDrawnNv12SolidShowsTheNearestColourNv12Allows",
    "TheCApiExampleShowsItsColourThroughCpuPointers",
    "TheCApiExampleShowsItsColourFromUdmabufBuffers",
))
FILTERS = {
    "nodrm": "Nodrm*",
    "virtio": "Virtio*",
    "sid-nodrm": "SidRoot.*:SidNodrm*:" + NODRM_PLAYER_CHECKS,
    "sid-virtio": "SidRoot.*:SidVirtio*:VirtioWeston.*:VirtioProducer.*:VirtioInfo.*:VirtioLibrary.*",
    "sid-vkms": "SidRoot.*:SidVkms*",
}
# The compositors of the sid root besides weston, one guest session each (compositors_test.cpp):
# suite name -> (tools/vm set-up, gtest filter).
COMPOSITOR_SETUPS = {"sway": "sid-vkms", "labwc": "sid-vkms", "kwin": "sid-virtio", "mutter": "sid-nodrm"}
SUITES = {name: (name, f) for name, f in FILTERS.items()}
SANITIZER_OPTIONS = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS")
SUITES.update({"sid-" + c: (setup, f"Sid/*.*/{c}") for c, setup in COMPOSITOR_SETUPS.items()})


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


def read_artifact(artifacts: str, name: str) -> str:
    """A text file of the guest's artifacts, or "" when it is missing."""
    try:
        with open(os.path.join(artifacts, name), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def compositor_crash(artifacts: str) -> str | None:
    """How the suite's compositor died of a signal (the fixture's line, the kernel's line for it and
    where its log is), or None when it did not."""
    def read(name: str) -> str:
        return read_artifact(artifacts, name)
    death = re.search(r"((weston|sway|labwc|kwin|mutter)[^;\n]*? killed by signal [^;\n]*)", read("guest.log"), re.IGNORECASE)
    if not death:
        return None
    kernel = next((l.strip() for l in read("dmesg.txt").splitlines() if "segfault" in l or "traps:" in l), "")
    log = death.group(2).lower() + ".log"
    return (f"{death.group(1)}" + (f"; the kernel says: {kernel}" if kernel else "")
            + f"; its log: {os.path.join(artifacts, log)}")


def render_html_reports(artifacts: str) -> list[tuple[str, str]]:
    """Loads each HTML report the guest wrote (dmafeed-conform's) in headless Chromium on the host.

    Returns (name, problem) per report; problem is "" when the page loaded, every thumbnail of its
    source decoded (the page's own check sets data-images="ok N"; N is 0 for a compositor that
    cannot be read back) and the page logged nothing to its console.
    """
    results = []
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    for page in sorted(glob.glob(os.path.join(artifacts, "*.html"))):
        name = os.path.basename(page)
        with open(page, errors="replace") as f:
            pictures = f.read().count("<img")
        if not chromium:
            results.append((name, "chromium is not installed (tools/setup installs it)"))
            continue
        with tempfile.TemporaryDirectory() as profile:
            cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                   f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0",
                   "--dump-dom", "file://" + os.path.abspath(page)]
            env = dict(os.environ, XDG_CONFIG_HOME=profile, XDG_CACHE_HOME=profile)
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
            except subprocess.TimeoutExpired:
                results.append((name, "chromium took longer than 120 s"))
                continue
        marks = re.findall(r'data-images="([^"]*)"', done.stdout)
        console = [l for l in done.stderr.splitlines() if ":CONSOLE" in l or "Uncaught" in l]
        if done.returncode != 0:
            problem = f"chromium exited with {done.returncode}"
        elif not marks or marks[0] != f"ok {pictures}":
            problem = (f"the page's thumbnail check says {marks[0] if marks else 'nothing'}, "
                       f"for {pictures} pictures in its source")
        elif console:
            problem = "the page logged: " + console[0]
        else:
            problem = ""
            print(f"run_suite: {name} renders in Chromium: thumbnails {marks[0]}", flush=True)
        results.append((name, problem))
    return results


def add_host_checks(xml_path: str, checks: list[tuple[str, str]]) -> None:
    """Appends host-side checks to the guest's gtest XML as testcases of a suite of their own."""
    tree = ET.parse(xml_path)
    root = tree.getroot()
    suite = ET.SubElement(root, "testsuite", name="HostChromium", tests=str(len(checks)),
                          failures=str(sum(1 for _, p in checks if p)), errors="0", time="0")
    for name, problem in checks:
        case = ET.SubElement(suite, "testcase", name="Renders_" + re.sub(r"\W", "_", name), status="run",
                             result="completed", time="0", classname="HostChromium")
        if problem:
            ET.SubElement(case, "failure", message=problem).text = problem
    root.set("tests", str(int(root.get("tests", 0)) + len(checks)))
    root.set("failures", str(int(root.get("failures", 0)) + sum(1 for _, p in checks if p)))
    tree.write(xml_path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vm", required=True, help="path of tools/vm")
    ap.add_argument("--setup", required=True, choices=sorted(SUITES),
                    help="the suite: a tools/vm set-up, or sid-COMPOSITOR (its set-up and its checks)")
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

    program = os.path.abspath(args.program)
    guest_cmd = [
        "sh", "-c",
        'exec "$0" --gtest_filter="$1" --gtest_output=xml:"$DMAFEED_VM_ARTIFACTS/gtest.xml"',
        program, SUITES[args.setup][1],
    ]
    # A sanitizer build's options (tools/check sets them) reach the guest's processes; tools/vm
    # gives the guest command a clean environment otherwise.
    sanitizer_env = [f"--env={name}={os.environ[name]}" for name in SANITIZER_OPTIONS if os.environ.get(name)]
    cmd = [sys.executable, args.vm, "run", "--setup", SUITES[args.setup][0], "--timeout", str(args.timeout),
           "--artifacts", args.artifacts, "--cwd", os.path.dirname(program)] + sanitizer_env + ["--"] + guest_cmd

    shutil.rmtree(args.artifacts, ignore_errors=True)
    os.makedirs(args.artifacts, exist_ok=True)
    print("run_suite: " + " ".join(cmd), flush=True)
    rc = subprocess.call(cmd, stdin=subprocess.DEVNULL)
    print(f"run_suite: guest exit status {rc}; artifacts in {args.artifacts}", flush=True)
    if rc == SKIP:
        return skip("the VM could not be prepared here (see the message above)")
    died = compositor_crash(args.artifacts) if rc != 0 else None
    if died:
        print(f"run_suite: FAIL: the compositor crashed in the {args.setup} session: {died}", file=sys.stderr, flush=True)

    guest_xml = os.path.join(args.artifacts, "gtest.xml")
    if not os.path.exists(guest_xml):
        print("run_suite: FAIL: the guest program wrote no test report", file=sys.stderr)
        return rc or 1
    rendered = render_html_reports(args.artifacts)
    for name, problem in rendered:
        if problem:
            print(f"run_suite: FAIL: {name} in Chromium: {problem}", file=sys.stderr)
    if rendered:
        add_host_checks(guest_xml, rendered)
        if any(p for _, p in rendered) and rc == 0:
            rc = 1
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
