#!/usr/bin/env python3
"""run_suite.py on the host, with a stand-in for tools/vm: every session runs once; a compositor's
crash fails it, named with the kernel's line; a sanitizer build's options reach tools/vm."""
import os
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_SUITE = os.path.join(HERE, "run_suite.py")

DEATH = "weston died during the test: weston 14.0.2 killed by signal 11 (Segmentation fault); log tail:\n"
KIOSK = ("[   41.548474] weston[169]: segfault at ffffffffffffff80 ip 00007f1fa8c9c878 sp 00007ffc0a6b1780 "
         "error 5 in kiosk-shell.so[3878,7f1fa8c9c000+3000] likely on CPU 1 (core 1, socket 0)\n")
OTHER = "[   12.000000] weston[169]: segfault at 0 ip 00007f1fa8c9c878 sp 00007ffc0a6b1780 error 4 in libc.so.6\n"


def xml(failures: int) -> str:
    return (f'<testsuites tests="2" failures="{failures}" errors="0">'
            '<testsuite name="NodrmCli"><testcase name="A" result="completed"/>'
            '<testcase name="B" result="completed"/></testsuite></testsuites>')


# tools/vm stand-in: session N (counted in a file) writes the artifacts given for it and exits
# with its status.
FAKE_VM = r'''#!/usr/bin/env python3
import json, os, sys
plan = json.load(open(os.environ["FAKE_VM_PLAN"]))
count_file = os.environ["FAKE_VM_PLAN"] + ".count"
n = int(open(count_file).read()) if os.path.exists(count_file) else 0
open(count_file, "w").write(str(n + 1))
open(os.environ["FAKE_VM_PLAN"] + ".argv", "w").write(json.dumps(sys.argv))
art = sys.argv[sys.argv.index("--artifacts") + 1]
os.makedirs(art, exist_ok=True)
session = plan[min(n, len(plan) - 1)]
for name, text in session["files"].items():
    open(os.path.join(art, name), "w").write(text)
sys.exit(session["status"])
'''


class RunSuite(unittest.TestCase):
    def run_with(self, plan: list[dict], extra_env: dict | None = None) -> tuple[int, int, str, str]:
        import json
        tmp = tempfile.mkdtemp()
        vm = os.path.join(tmp, "vm")
        with open(vm, "w") as f:
            f.write(FAKE_VM)
        os.chmod(vm, os.stat(vm).st_mode | stat.S_IXUSR)
        bin_dir = os.path.join(tmp, "bin")
        os.makedirs(bin_dir)
        qemu = os.path.join(bin_dir, "qemu-system-x86_64")  # run_suite only looks for it
        with open(qemu, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(qemu, 0o755)
        plan_path = os.path.join(tmp, "plan.json")
        with open(plan_path, "w") as f:
            json.dump(plan, f)
        env = dict(os.environ, FAKE_VM_PLAN=plan_path, PATH=bin_dir + os.pathsep + os.environ["PATH"], CI="")
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"):
            env.pop(name, None)
        env.update(extra_env or {})
        self.plan_path = plan_path
        artifacts = os.path.join(tmp, "artifacts", "nodrm")
        out = subprocess.run([sys.executable, RUN_SUITE, "--vm", vm, "--setup", "nodrm", "--artifacts", artifacts,
                              os.path.join(tmp, "dmafeed-vm-tests")],
                             env=env, capture_output=True, text=True, timeout=60)
        with open(plan_path + ".count") as f:
            sessions = int(f.read())
        return out.returncode, sessions, out.stdout + out.stderr, artifacts

    def test_a_kiosk_shell_crash_fails_at_once_and_is_named(self):
        crashed = {"status": 1, "files": {"guest.log": DEATH, "dmesg.txt": KIOSK, "gtest.xml": xml(1)}}
        passed = {"status": 0, "files": {"guest.log": "", "dmesg.txt": "", "gtest.xml": xml(0)}}
        rc, sessions, out, artifacts = self.run_with([crashed, passed])
        self.assertEqual((rc, sessions), (1, 1), out)
        self.assertIn("the compositor crashed in the nodrm session", out)
        self.assertIn("kiosk-shell.so", out)
        self.assertIn(os.path.join(artifacts, "weston.log"), out)

    def test_sanitizer_options_reach_the_guest_and_nothing_else_does(self):
        passed = {"status": 0, "files": {"guest.log": "", "dmesg.txt": "", "gtest.xml": xml(0)}}
        rc, _, out, _ = self.run_with([passed], {"ASAN_OPTIONS": "detect_leaks=1", "LSAN_OPTIONS": "suppressions=/x",
                                                 "SOME_OTHER": "1"})
        self.assertEqual(rc, 0, out)
        import json
        with open(self.plan_path + ".argv") as f:
            argv = json.load(f)
        guest = argv.index("--")
        self.assertEqual([a for a in argv[:guest] if a.startswith("--env")],
                         ["--env=ASAN_OPTIONS=detect_leaks=1", "--env=LSAN_OPTIONS=suppressions=/x"])

    def test_other_failures_run_once(self):
        for files in ({"guest.log": "", "dmesg.txt": KIOSK},  # weston's crash, but the suite's weston lived
                      {"guest.log": DEATH, "dmesg.txt": OTHER},  # the suite's weston died elsewhere
                      {"guest.log": "", "dmesg.txt": ""}):  # a plain test failure
            with self.subTest(files=files):
                rc, sessions, out, _ = self.run_with([{"status": 1, "files": dict(files, **{"gtest.xml": xml(1)})}])
                self.assertEqual((rc, sessions), (1, 1), out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
