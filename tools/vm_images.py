"""Guest images that tools/vm builds besides its kernel and initramfs, cached beside them.

sid root: a Debian sid (unstable) root file system made by mmdebstrap from the mirror the host's apt
    sources name, holding today's compositors (weston 16, mutter, KWin, sway, labwc) and Mesa. The sid-* set-ups
    boot it instead of the host's /. It is rebuilt only when SID_PACKAGES (or the mmdebstrap options)
    change; manifest.txt beside it lists every package version it holds.
vkms: the virtual KMS driver, which Debian's kernel does not ship, built out of tree from Debian's
    linux-source-6.12 against the linux-headers of the guest kernel (same version, so its vermagic
    and symbol versions match). The *-vkms set-ups load it: KMS scanout without a GPU.

Stdlib only; tools/vm imports it and holds its cache lock while these build.
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

SID_SUITE = "unstable"
# What the sid set-ups run: the compositors, Mesa (GL, GBM, lavapipe), the Vulkan loader, tools and
# capture clients (grim; PipeWire, wireplumber and GStreamer's pipewiresrc for mutter's screen
# casts), and the libraries the host-built binaries link (they run there unchanged).
SID_PACKAGES = (
    "weston", "sway", "labwc", "grim", "mutter", "kwin-wayland", "dbus-daemon", "dbus-session-bus-common",
    "libgl1-mesa-dri", "libegl-mesa0", "libgbm1", "mesa-vulkan-drivers",
    "libvulkan1", "vulkan-tools", "vulkan-validationlayers", "wayland-utils",
    "libdrm2", "libwayland-client0", "libwayland-server0", "libpng16-16t64", "libstdc++6",
    "python3",
    "pipewire", "wireplumber", "gstreamer1.0-pipewire", "gstreamer1.0-plugins-base", "gstreamer1.0-tools",
    "gir1.2-gstreamer-1.0",
)
# The sid Release file of a mirror reads as expired now and then; the archive keyring still checks it.
SID_MMDEBSTRAP_OPTIONS = ("--variant=apt", "--components=main",
                          "--aptopt=Acquire::Check-Valid-Until \"false\"")


class ImageError(Exception):
    """An image cannot be built here; the message says why (tools/vm turns it into a SKIP)."""


def _run(argv, log_path, cwd=None):
    """Runs argv with stdout and stderr appended to log_path; ImageError with the log's tail."""
    with open(log_path, "a") as log:
        log.write("$ " + " ".join(argv) + "\n")
        log.flush()
        done = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = Path(log_path).read_text(errors="replace").splitlines()[-15:]
        raise ImageError(f"{argv[0]} failed with status {done.returncode}:\n  " + "\n  ".join(tail))


def _need(tool, package):
    path = shutil.which(tool, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
    if not path:
        raise ImageError(f"{tool} not found (Debian package {package}; tools/setup installs it)")
    return path


# ---------------------------------------------------------------------------------------------
# The mirror: the URI of the apt source that serves bookworm, as tools/setup finds it.

def _deb822_mirror(text):
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        for line in stanza.splitlines():
            key, sep, value = line.partition(":")
            if sep and not line.startswith((" ", "\t", "#")):
                fields[key.strip()] = value.split()
        if "bookworm" in fields.get("Suites", []) and fields.get("URIs"):
            return fields["URIs"][0]
    return None


def _one_line_mirror(text):
    for line in text.splitlines():
        match = re.match(r"deb\s+(?:\[[^]]*\]\s+)?([a-z+]+://\S+)\s+bookworm\s", line + " ")
        if match:
            return match.group(1)
    return None


def apt_mirror():
    """The mirror URI of the first apt source (deb822, then one-line) whose suites include bookworm."""
    sources = Path("/etc/apt/sources.list.d")
    for path in sorted(sources.glob("*.sources")):
        uri = _deb822_mirror(path.read_text(errors="replace"))
        if uri:
            return uri
    for path in [Path("/etc/apt/sources.list"), *sorted(sources.glob("*.list"))]:
        if path.exists():
            uri = _one_line_mirror(path.read_text(errors="replace"))
            if uri:
                return uri
    raise ImageError("no apt source serves 'bookworm' to take the mirror for the sid root from")


# ---------------------------------------------------------------------------------------------
# The sid root.

def sid_key():
    """What the root is made from; a change means a new root."""
    digest = hashlib.sha256("\0".join((SID_SUITE, *SID_MMDEBSTRAP_OPTIONS, *sorted(SID_PACKAGES))).encode())
    return digest.hexdigest()[:16]


def _as_root(argv):
    if os.geteuid() == 0:
        return argv
    if shutil.which("sudo"):
        return ["sudo", "-n", *argv]
    raise ImageError("building the sid root needs root (mmdebstrap in root mode) and there is no sudo")


def sid_root(cache, log):
    """(root dir, manifest.txt) of the cached sid root, built first when SID_PACKAGES changed."""
    image = cache / f"sid-{sid_key()}"
    if (image / ".complete").exists():
        return image / "root", image / "manifest.txt"
    mmdebstrap = _need("mmdebstrap", "mmdebstrap")
    mirror = apt_mirror()
    log(f"building the Debian {SID_SUITE} root {image.name} from {mirror} (a few minutes, about 1 GB)")
    with tempfile.TemporaryDirectory(prefix="tmp-sid-", dir=cache) as tmp:
        build = Path(tmp) / "image"
        build.mkdir()
        _run(_as_root([mmdebstrap, *SID_MMDEBSTRAP_OPTIONS, "--include=" + ",".join(SID_PACKAGES),
                       SID_SUITE, str(build / "root"), mirror]), build / "build.log")
        query = subprocess.run(["dpkg-query", f"--admindir={build / 'root/var/lib/dpkg'}", "-W",
                                "-f=${Package} ${Version}\n"], capture_output=True, text=True, check=True)
        packages = sorted(query.stdout.splitlines())
        versions = dict(line.split(" ", 1) for line in packages)
        (build / "manifest.txt").write_text(
            f"# Debian {SID_SUITE} root {image.name}, built by tools/vm with mmdebstrap from {mirror}"
            f" on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
            "# the packages asked for:\n"
            + "".join(f"{p} {versions.get(p, '(missing)')}\n" for p in sorted(SID_PACKAGES))
            + "# every package:\n" + "".join(f"{line}\n" for line in packages))
        (build / ".complete").write_text(sid_key() + "\n")
        shutil.rmtree(image, ignore_errors=True)
        build.rename(image)
    for old in cache.glob("sid-*"):
        if old != image:
            shutil.rmtree(old, ignore_errors=True)
    return image / "root", image / "manifest.txt"


# ---------------------------------------------------------------------------------------------
# vkms, out of tree.

def _download(packages, cwd, log_path):
    _run([_need("apt-get", "apt"), "download", *packages], log_path, cwd=cwd)


def vkms_module(cache, release, version, log):
    """Path of vkms.ko for the kernel release (uname -r) of Debian package version `version`,
    built into the cache first if needed."""
    image = cache / f"vkms-{release}_{version}"
    module = image / "vkms.ko"
    if (image / ".complete").exists():
        return module
    for tool, package in (("make", "make"), ("gcc-12", "gcc-12"), ("dpkg-deb", "dpkg"), ("xz", "xz-utils")):
        _need(tool, package)
    series = ".".join(release.split(".")[:2])   # 6.12
    log(f"building vkms for {release} from linux-source-{series} {version}")
    with tempfile.TemporaryDirectory(prefix="tmp-vkms-", dir=cache) as tmp:
        tmp = Path(tmp)
        build_log = tmp / "build.log"
        debs = tmp / "debs"
        debs.mkdir()
        _download([f"linux-source-{series}={version}", f"linux-headers-{release}={version}"], debs, build_log)
        # The headers need their -common part and kbuild (their Depends names both).
        headers_deb = next(debs.glob(f"linux-headers-{release}_*.deb"))
        depends = subprocess.run(["dpkg-deb", "-f", str(headers_deb), "Depends"], capture_output=True,
                                 text=True, check=True).stdout
        extra = sorted({name for name in re.findall(r"(linux-(?:headers|kbuild)-[^\s,(|]+)", depends)})
        _download([f"{name}={version}" for name in extra], debs, build_log)
        tree = tmp / "tree"
        for deb in sorted(debs.glob("*.deb")):
            _run(["dpkg-deb", "-x", str(deb), str(tree)], build_log)
        shutil.rmtree(debs)
        tarball = next((tree / "usr/src").glob(f"linux-source-{series}.tar.*"))
        top = f"linux-source-{series}"
        _run(["tar", "-xaf", str(tarball), "-C", str(tmp), "--wildcards", f"{top}/drivers/gpu/drm/vkms/*"], build_log)
        source = tmp / top / "drivers/gpu/drm/vkms"
        headers = tree / "usr/src" / f"linux-headers-{release}"
        common = next(p for p in (tree / "usr/src").glob("linux-headers-*-common"))
        # The arch headers' Makefile includes the -common one by its installed (absolute) path:
        # name it directly. BTF for modules needs pahole, which the kernel build does not need.
        _run(["make", "-C", str(headers), "-f", str(common / "Makefile"), f"M={source}", "CONFIG_DRM_VKMS=m",
              "CONFIG_DEBUG_INFO_BTF_MODULES=", "modules"], build_log)
        image_tmp = tmp / "image"
        image_tmp.mkdir()
        shutil.copy2(source / "vkms.ko", image_tmp / "vkms.ko")
        shutil.copy2(build_log, image_tmp / "build.log")
        (image_tmp / ".complete").write_text(f"{release} {version}\n")
        shutil.rmtree(image, ignore_errors=True)
        image_tmp.rename(image)
    for old in cache.glob("vkms-*"):
        if old != image:
            shutil.rmtree(old, ignore_errors=True)
    return module


def module_depends(module):
    """The module names a .ko depends on (its modinfo 'depends=' field)."""
    data = Path(module).read_bytes()
    match = re.search(rb"(?:^|\0)depends=([^\0]*)\0", data)
    return [name for name in match.group(1).decode().split(",") if name] if match else []
