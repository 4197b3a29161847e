#!/usr/bin/env python3
"""Installs the build into a temporary DESTDIR and builds against the installed files only: the
headers, libdmafeed and dmafeed.pc. The installed library is stripped (meson.build's default
options). The C example and a C++ user of dmafeed.hpp (which calls Vulkan itself, as hosts
rendering into frames do) must compile and link with nothing but `pkg-config dmafeed`, and the
example must load the installed library.

Usage: install_check.py BUILD_DIR SOURCE_DIR"""
import os
import subprocess
import sys
import tempfile


def main():
    build, source = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="dmafeed-install-") as dest:
        subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild", "--quiet"], check=True)
        found = {}
        for root, _, files in os.walk(dest):
            for f in files:
                found.setdefault(f, os.path.join(root, f))
        for name in ["dmafeed.h", "dmafeed.hpp", "dmafeed.pc", "libdmafeed.so", "dmafeed"]:
            if name not in found:
                print(f"FAIL: {name} is not installed (installed: {sorted(found)})")
                return 1
            print(f"installed: {os.path.relpath(found[name], dest)}")
        lib = os.path.realpath(found["libdmafeed.so"])
        sections = subprocess.run(["readelf", "-S", "-W", lib], check=True, capture_output=True, text=True).stdout
        if ".debug_info" in sections or ".symtab" in sections:
            print(f"FAIL: the installed {os.path.basename(lib)} is not stripped (meson configure -Dstrip=true)")
            return 1
        print(f"installed {os.path.basename(lib)}: {os.path.getsize(lib)} bytes, stripped")
        pcdir = os.path.dirname(found["dmafeed.pc"])
        libdir = os.path.dirname(found["libdmafeed.so"])
        env = dict(os.environ, PKG_CONFIG_SYSROOT_DIR=dest,
                   PKG_CONFIG_PATH=pcdir, PKG_CONFIG_DISABLE_UNINSTALLED="1")
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "dmafeed"], env=env, check=True,
                               capture_output=True, text=True).stdout.split()
        if any(source in f or build in f for f in flags):
            print(f"FAIL: pkg-config points into the source or build tree: {flags}")
            return 1
        example = os.path.join(dest, "dmafeed-example")
        subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror",
                        os.path.join(source, "tools/example/dmafeed-example.c"), "-o", example, *flags],
                       check=True)
        cpp = os.path.join(dest, "user.cpp")
        with open(cpp, "w") as f:
            # The Vulkan part of the API: the handles' types come from <vulkan/vulkan.h> and a host
            # calls Vulkan itself, so pkg-config must give the Vulkan flags and -lvulkan too.
            f.write('#include <dmafeed/dmafeed.hpp>\n'
                    'int main() {\n'
                    '    std::string e; auto p = dmafeed::Producer::create({}, &e);\n'
                    '    const dmafeed::VulkanDevice* v = p ? p->vulkan() : nullptr;\n'
                    '    uint32_t version = 0; vkEnumerateInstanceVersion(&version);\n'
                    '    return p ? (v ? 0 : 4) : 3;\n'
                    '}\n')
        subprocess.run(["c++", "-std=c++20", "-Wall", "-Wextra", "-Werror", cpp, "-o", os.path.join(dest, "user"), *flags],
                       check=True)
        # The example loads the installed library: with no arguments it prints its usage (status 2).
        run = subprocess.run([example], env=dict(os.environ, LD_LIBRARY_PATH=libdir), capture_output=True, text=True)
        if run.returncode != 2 or "usage" not in run.stderr:
            print(f"FAIL: the example did not run: status {run.returncode}, {run.stderr}")
            return 1
        print("OK: the C example and a C++ user build against the installed files only, and run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
