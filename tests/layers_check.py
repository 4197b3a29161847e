#!/usr/bin/env python3
"""Checks that the directories of src/ depend on each other one way only.

  layers_check.py [SRC_DIR]      (default: the src/ next to this script's tests/)

SRC_DIR/meson.build holds the layer order in one comment line, lowest layer first:

  # layers: util drm pixels vk|wl alloc sources render producer lib

A file in SRC_DIR/X/ may include "Y/..." only where Y is X itself or a layer before X's; names joined
by `|` are peers, which include neither of each other. Every directory of SRC_DIR must be in the
line. Includes of anything else (system headers, generated protocol headers, the public
"dmafeed/..." headers) are not layers and are not checked.

Exit status: 0 pass, 1 fail (each offending include as FILE:LINE on its own line)."""
import os
import re
import sys

LAYER_LINE = re.compile(r"^#\s*layers:(.*)$")
INCLUDE = re.compile(r'^\s*#\s*include\s*["<]([^">]+)[">]')
SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".h", ".hpp", ".inl", ".comp")


def read_layers(meson_build):
    """{directory: (rank, peer group)} from the `# layers:` line of `meson_build`."""
    with open(meson_build, encoding="utf-8") as f:
        lines = [(n, m.group(1)) for n, line in enumerate(f, 1) if (m := LAYER_LINE.match(line.strip()))]
    if len(lines) != 1:
        raise ValueError(f"{meson_build}: expected one '# layers: a b c|d ...' line, found {len(lines)}")
    lineno, text = lines[0]
    layers = {}
    for rank, group in enumerate(text.split()):
        peers = group.split("|")
        for name in peers:
            if not name or name in layers:
                raise ValueError(f"{meson_build}:{lineno}: layer '{name}' is empty or named twice")
            layers[name] = (rank, group)
    if not layers:
        raise ValueError(f"{meson_build}:{lineno}: the layers line names no layer")
    return layers


def below(layers, rank):
    return sorted((n for n, (r, _) in layers.items() if r < rank), key=lambda n: (layers[n][0], n))


def check(src):
    layers = read_layers(os.path.join(src, "meson.build"))
    problems = []
    dirs = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
    for d in dirs:
        if d not in layers:
            problems.append(f"{os.path.join(src, d)}/: a directory the layers line in "
                            f"{os.path.join(src, 'meson.build')} does not name: add it where it belongs")
    for name in layers:
        if name not in dirs:
            problems.append(f"{os.path.join(src, 'meson.build')}: layer '{name}' has no directory {src}/{name}/")

    files = includes = 0
    for d in dirs:
        if d not in layers:
            continue
        rank, group = layers[d]
        for top, _, names in os.walk(os.path.join(src, d)):
            for name in sorted(names):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(top, name)
                files += 1
                with open(path, encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m or "/" not in m.group(1):
                            continue
                        target = m.group(1).split("/", 1)[0]
                        if target not in layers:
                            continue
                        includes += 1
                        trank, tgroup = layers[target]
                        if target == d or trank < rank:
                            continue
                        if trank == rank:
                            rule = f"{d} and {target} are peers ({group}) and include neither of each other"
                        else:
                            allowed = ", ".join(below(layers, rank)) or "nothing"
                            rule = (f"{target} is above {d} in the layer order; {d}/ includes only "
                                    f"{d}/ and the layers below it ({allowed})")
                        problems.append(f'{path}:{lineno}: #include "{m.group(1)}": {rule}')
    return layers, files, includes, problems


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    src = os.path.normpath(src)
    try:
        layers, files, includes, problems = check(src)
    except (OSError, ValueError) as e:
        print(f"layers_check: {e}", file=sys.stderr)
        return 1
    order = " < ".join(dict.fromkeys(group for _, group in sorted(layers.values())))
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        print(f"layers_check: {len(problems)} include(s) against the layer order {order} "
              f"(the '# layers:' line of {os.path.join(src, 'meson.build')})", file=sys.stderr)
        return 1
    print(f"layers_check: {files} files, {includes} includes between layers, all one way: {order}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
