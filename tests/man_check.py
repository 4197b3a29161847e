#!/usr/bin/env python3
"""Checks the man pages (docs/man/*.scd) against what they describe.

  man_check.py options --tool BINARY PAGE.scd [--tool ...] [--api HEADER PAGE.scd]
      Every option that `BINARY --help` lists is in the OPTIONS section of PAGE.scd, and every
      option there is in --help. Each page has the sections a user looks for. With --api: every
      function, type, enumerator, macro and struct field that HEADER declares is named in PAGE.scd.
  man_check.py roff [--page PAGE PAGE.scd]...
      Each built roff page exists, is the page its source names (.TH), has every section of the
      source and carries the project's version. Without --page (scdoc was not found): SKIP, exit 77.

Exit status: 0 pass, 1 fail (each problem named on its own line), 77 skip."""
import argparse
import os
import re
import subprocess
import sys

TOOL_SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "ENVIRONMENT", "EXAMPLES",
                 "SEE ALSO"]
LIBRARY_SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "RETURN VALUE", "ENVIRONMENT", "EXAMPLES", "SEE ALSO"]

# An option in --help: a line indented by at most 4 spaces that starts with it ("  -h, --help  ...").
HELP_OPTION_LINE = re.compile(r"^ {1,4}(-{1,2}[A-Za-z0-9][-A-Za-z0-9]*(?:, *-{1,2}[A-Za-z0-9][-A-Za-z0-9]*)*)")
OPTION = re.compile(r"-{1,2}[A-Za-z0-9][-A-Za-z0-9]*")
# An option in a page's OPTIONS section: a line that starts with it in bold ("*-h*, *--help*").
SCD_OPTION = re.compile(r"\*(-{1,2}[A-Za-z0-9][-A-Za-z0-9]*)\*")


def help_options(binary):
    run = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=60, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"`{binary} --help` exited with status {run.returncode}: {run.stderr.strip()}")
    options = set()
    for line in run.stdout.splitlines():
        m = HELP_OPTION_LINE.match(line)
        if m:
            options.update(OPTION.findall(m.group(1)))
    if not options:
        raise RuntimeError(f"`{binary} --help` lists no options (is its layout still '  --option  text'?)")
    return options


def sections(scd_text):
    """The page's top-level sections: name -> their lines."""
    out, current = {}, None
    for line in scd_text.splitlines():
        if line.startswith("# "):
            current = line[2:].strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return out


def page_options(option_lines):
    options = set()
    for line in option_lines:
        if line.startswith("*-"):
            options.update(SCD_OPTION.findall(line))
    return options


def check_sections(scd, text, wanted):
    have = sections(text)
    return [f"{scd}: no '# {name}' section" for name in wanted if name not in have]


def check_tool(binary, scd):
    tool = os.path.basename(binary)
    with open(scd, encoding="utf-8") as f:
        text = f.read()
    problems = check_sections(scd, text, TOOL_SECTIONS)
    listed = help_options(binary)
    documented = page_options(sections(text).get("OPTIONS", []))
    for option in sorted(listed - documented):
        problems.append(f"{tool}: {option} is listed by `{tool} --help` but missing from the OPTIONS of {scd}")
    for option in sorted(documented - listed):
        problems.append(f"{tool}: {option} is in the OPTIONS of {scd} but `{tool} --help` does not list it")
    print(f"{tool}: {len(listed)} options in --help, {len(documented)} in {os.path.basename(scd)}")
    return problems


def header_names(header):
    """The functions, types, enumerators and macros a C header declares, and the fields of its structs."""
    with open(header, encoding="utf-8") as f:
        code = re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)
    names = set(re.findall(r"\b(dmafeed_[A-Za-z0-9_]+|DMAFEED_[A-Z0-9_]+)\b", code))
    names.discard("DMAFEED_H")  # the include guard
    fields = {}
    for struct, body in re.findall(r"typedef struct (dmafeed_\w+) \{(.*?)\} \1;", code, flags=re.S):
        for declaration in body.split(";"):
            declaration = re.sub(r"\[[^]]*\]", "", declaration.strip())
            for field in re.findall(r"\**([A-Za-z_][A-Za-z0-9_]*)\s*(?:,|$)", declaration):
                fields[field] = struct
    return names, fields


def check_api(header, scd):
    with open(scd, encoding="utf-8") as f:
        text = f.read()
    problems = check_sections(scd, text, LIBRARY_SECTIONS)
    names, fields = header_names(header)
    if not names or not fields:
        return problems + [f"{header}: no dmafeed_ declarations or struct fields found"]
    for name in sorted(names):
        if not re.search(rf"\b{re.escape(name)}\b", text):
            problems.append(f"dmafeed(3): {name} is declared in {header} but {scd} does not name it")
    for field, struct in sorted(fields.items()):
        if not re.search(rf"\*(?:[^*]*\W)?{re.escape(field)}(?:\[\w*\])?\*", text):
            problems.append(f"dmafeed(3): the {struct} field {field} is not described (in bold) in {scd}")
    print(f"dmafeed(3): {len(names)} names and {len(fields)} struct fields of {os.path.basename(header)}")
    return problems


def check_roff(page, scd, version):
    problems = []
    name, _, section = os.path.basename(page).rpartition(".")
    if not os.path.isfile(page) or os.path.getsize(page) == 0:
        return [f"{page}: the roff page was not generated from {scd}"]
    with open(page, encoding="utf-8") as f:
        roff = f.read()
    with open(scd, encoding="utf-8") as f:
        source = f.read()
    th = re.search(r'^\.TH "?([^" ]+)"? "?([^" ]+)"?', roff, flags=re.M)
    if not th or (th.group(1), th.group(2)) != (name, section):
        problems.append(f"{page}: no '.TH {name} {section}' line")
    for title in sections(source):
        if not re.search(rf'^\.SH "?{re.escape(title)}"?\s*$', roff, flags=re.M):
            problems.append(f"{page}: the section {title} of {scd} is missing")
    if version and version not in roff:
        problems.append(f"{page}: the version {version} is not in the page (was @VERSION@ substituted?)")
    if "@VERSION@" in roff:
        problems.append(f"{page}: @VERSION@ was not substituted")
    if not problems:
        print(f"{os.path.basename(page)}: {len(roff.splitlines())} lines of roff")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    options = sub.add_parser("options")
    options.add_argument("--tool", nargs=2, action="append", default=[], metavar=("BINARY", "SCD"))
    options.add_argument("--api", nargs=2, metavar=("HEADER", "SCD"))
    roff = sub.add_parser("roff")
    roff.add_argument("--page", nargs=2, action="append", default=[], metavar=("ROFF", "SCD"))
    roff.add_argument("--version", default="")
    args = parser.parse_args()

    problems = []
    try:
        if args.mode == "options":
            for binary, scd in args.tool:
                problems += check_tool(binary, scd)
            if args.api:
                problems += check_api(*args.api)
        else:
            if not args.page:
                print("SKIP: scdoc was not found at configure time, so no man page was generated "
                      "(apt-get install scdoc, or -Dman=enabled to require it)")
                return 77
            for page, scd in args.page:
                problems += check_roff(page, scd, args.version)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
        problems.append(str(e))
    for p in problems:
        print(f"FAIL: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
