#!/usr/bin/env python3
"""Checks libdmafeed's ABI: the C API of include/dmafeed/dmafeed.h and nothing else.

  abi_check.py symbols LIB HEADER
      `nm -D --defined-only LIB` lists only dmafeed_* functions in a DMAFEED_* version node (and the
      nodes themselves), and they are exactly the functions HEADER declares (not its static inline ones).
  abi_check.py abi LIB HEADERS_DIR BASELINE_DIR
      abidiff compares LIB with BASELINE_DIR/<its soname>.abixml, looking only at what HEADERS_DIR
      declares: any change fails until it is recorded on purpose (update).
  abi_check.py update LIB HEADERS_DIR BASELINE_DIR
      Writes BASELINE_DIR/<soname>.abixml from LIB (abidw). It records additions (functions, fields
      appended to a sized struct) and refuses an incompatible change (symbols or fields removed or
      moved, types changed): such a change raises the soname first (src/meson.build), which starts
      a new baseline.
  abi_check.py version HEADER VERSION
      DMAFEED_VERSION_MAJOR/MINOR/MICRO and DMAFEED_VERSION_STRING in HEADER are VERSION (meson's).

Exit status: 0 pass, 1 fail, 77 skip (abidw/abidiff missing, or LIB built without debug info)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ABIDIFF_ERROR, ABIDIFF_USAGE, ABIDIFF_CHANGE, ABIDIFF_INCOMPATIBLE = 1, 2, 4, 8
ABIDW_OPTIONS = ["--exported-interfaces-only", "--drop-private-types", "--no-show-locs", "--no-corpus-path", "--no-comp-dir-path"]


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)


def declared_functions(header):
    """The functions a C header declares, without its static inline ones."""
    with open(header, encoding="utf-8") as f:
        code = re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)
    code = re.sub(r"^\s*#.*$", "", code, flags=re.M)
    inline = set(re.findall(r"static\s+inline\s+[^;{(]*?\b(dmafeed_\w+)\s*\(", code))
    declared = set(re.findall(r"\b(dmafeed_\w+)\s*\([^;{]*\)\s*;", code))
    return declared - inline


def check_symbols(lib, header):
    out = run(["nm", "-D", "--defined-only", lib])
    if out.returncode != 0:
        print(f"FAIL: nm -D {lib}: {out.stderr.strip()}")
        return 1
    problems, exported = [], set()
    for line in out.stdout.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        kind, name = fields[1], fields[2]
        if kind == "A" and re.fullmatch(r"DMAFEED_\d+(\.\d+)*", name):
            continue  # a version node
        m = re.fullmatch(r"(dmafeed_[a-z0-9_]+)@@?DMAFEED_\d+(\.\d+)*", name)
        if not m or kind != "T":
            problems.append(f"exported, but not a versioned dmafeed_* function: {kind} {name}")
            continue
        exported.add(m.group(1))
    declared = declared_functions(header)
    problems += [f"declared in {os.path.basename(header)} but not exported: {n}" for n in sorted(declared - exported)]
    problems += [f"exported but not declared in {os.path.basename(header)}: {n}" for n in sorted(exported - declared)]
    for p in problems:
        print(f"FAIL: {p}")
    if not problems:
        print(f"{os.path.basename(lib)} exports the {len(exported)} functions of {os.path.basename(header)} and nothing else")
    return 1 if problems else 0


def soname(lib):
    out = run(["readelf", "-d", lib])
    m = re.search(r"\(SONAME\).*\[(.+)\]", out.stdout)
    return m.group(1) if m else os.path.basename(lib)


def abi_tools():
    missing = [t for t in ("abidw", "abidiff") if not shutil.which(t)]
    if missing:
        print(f"SKIP: {', '.join(missing)} not found (Debian: apt-get install abigail-tools)")
        return False
    return True


def has_debug_info(lib):
    out = run(["readelf", "-S", "-W", lib])
    return ".debug_info" in out.stdout


def abidw(lib, headers, out):
    """LIB's ABI as abixml; None, or why not."""
    done = run(["abidw", *ABIDW_OPTIONS, "--headers-dir", headers, "--out-file", out, lib])
    return None if done.returncode == 0 else f"abidw {lib}: {done.stderr.strip()}"


def compare(baseline, lib, headers):
    """abidiff of BASELINE and LIB, both read as abixml written with the same options (read from
    the binary directly, abidiff sees C++ typedefs of the same name as their struct differently and
    can miss a change behind them). Returns (status, report, kind): kind is "same", "additions"
    (only functions added), "changed" (anything else that can be kept on purpose), "incompatible"
    (symbols removed, data members removed or moved, types changed) or "error"."""
    with tempfile.TemporaryDirectory() as tmp:
        current = os.path.join(tmp, "current.abixml")
        why = abidw(lib, headers, current)
        if why:
            return 1, why, "error"
        out = run(["abidiff", baseline, current])
    report = (out.stdout + out.stderr).strip()
    if out.returncode & (ABIDIFF_ERROR | ABIDIFF_USAGE):
        return out.returncode, report, "error"
    if out.returncode == 0:
        return 0, report, "same"
    breaking = re.search(r"data member deletion|offset changed|type of .* changed|enumerator deletion|"
                         r"value changed|parameter \d+ of type .* changed to|return type changed", report)
    if out.returncode & ABIDIFF_INCOMPATIBLE or breaking:
        return out.returncode, report, "incompatible"
    summaries = re.findall(r"(\d+) Removed, (\d+) Changed", report)
    if summaries and all(removed == "0" and changed == "0" for removed, changed in summaries):
        return out.returncode, report, "additions"
    return out.returncode, report, "changed"


def check_abi(lib, headers, baseline_dir):
    if not abi_tools():
        return 77
    if not has_debug_info(lib):
        print(f"SKIP: {lib} has no debug info (a release build): abidiff cannot see its types; "
              "the default build type (debugoptimized) checks them")
        return 77
    baseline = os.path.join(baseline_dir, soname(lib) + ".abixml")
    if not os.path.isfile(baseline):
        print(f"FAIL: no baseline {baseline} for the soname {soname(lib)}: a new soname starts one "
              f"(abi_check.py update {lib} {headers} {baseline_dir})")
        return 1
    status, report, kind = compare(baseline, lib, headers)
    name = os.path.basename(baseline)
    if kind == "same":
        print(f"OK: {os.path.basename(lib)} has the ABI of {name}")
        return 0
    if kind == "error":
        print(f"FAIL: abidiff could not compare (status {status}):\n{report}")
        return 1
    if kind == "incompatible":
        print(f"FAIL: {os.path.basename(lib)} is incompatible with {name}:\n{report}\n"
              "Keep the ABI, or break it on purpose: raise dmafeed_soversion in src/meson.build and write the "
              "new soname's baseline (abi_check.py update).")
        return 1
    print(f"FAIL: {os.path.basename(lib)} changes the ABI of {name} ({kind}):\n{report}\n"
          "Where that is what is meant (functions added in a new version node of src/lib/dmafeed.map, fields "
          "appended to a struct that carries struct_size), record it: abi_check.py update.")
    return 1


def update(lib, headers, baseline_dir):
    if not abi_tools():
        return 1
    if not has_debug_info(lib):
        print(f"FAIL: {lib} has no debug info: build with the default build type")
        return 1
    baseline = os.path.join(baseline_dir, soname(lib) + ".abixml")
    if os.path.isfile(baseline):
        status, report, kind = compare(baseline, lib, headers)
        if kind in ("incompatible", "error"):
            print(f"FAIL: {lib} is incompatible with {baseline} (or abidiff failed, status {status}): raise the "
                  f"soname (src/meson.build) first\n{report}")
            return 1
    os.makedirs(baseline_dir, exist_ok=True)
    why = abidw(lib, headers, baseline)
    if why:
        print(f"FAIL: {why}")
        return 1
    print(f"wrote {baseline}")
    return 0


def check_version(header, version):
    with open(header, encoding="utf-8") as f:
        text = f.read()
    want = dict(zip(["MAJOR", "MINOR", "MICRO"], version.split(".")))
    problems = []
    for part, value in want.items():
        m = re.search(rf"#define DMAFEED_VERSION_{part} (\d+)", text)
        if not m or m.group(1) != value:
            problems.append(f"DMAFEED_VERSION_{part} is {m.group(1) if m else 'missing'}, meson.build says {value}")
    m = re.search(r'#define DMAFEED_VERSION_STRING "([^"]*)"', text)
    if not m or m.group(1) != version:
        problems.append(f"DMAFEED_VERSION_STRING is {m.group(1) if m else 'missing'}, meson.build says {version}")
    for p in problems:
        print(f"FAIL: {p}")
    if not problems:
        print(f"{os.path.basename(header)}: version {version}, as meson.build")
    return 1 if problems else 0


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    mode, args = sys.argv[1], sys.argv[2:]
    modes = {"symbols": (check_symbols, 2), "abi": (check_abi, 3), "update": (update, 3), "version": (check_version, 2)}
    if mode not in modes or len(args) != modes[mode][1]:
        print(__doc__)
        return 2
    return modes[mode][0](*args)


if __name__ == "__main__":
    sys.exit(main())
