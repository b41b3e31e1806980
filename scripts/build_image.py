"""Build the Sitrep image from the Dockerfile with buildah, podman or docker (`make image`).

The base image is the one the Dockerfile names (pinned by tag). When it is neither present nor
pullable (no container registry reachable), a stand-in with the same Python is built from Debian's
packages with mmdebstrap (bookworm's python3 is 3.11, as in the lock) and tagged with the base's
name, so the Dockerfile stays the same everywhere. `--base-only` stops after that step.

pip inside the build needs this machine's pip settings (certificate bundle, index, find-links): the
settings `pip config list` reports are merged into one pip.conf that is bind-mounted read-only at
/etc/pip.conf for the build's RUN steps, together with every local file or directory they name.
Nothing of it lands in a layer, and no machine path is written into the repository.
"""

from __future__ import annotations

import argparse
import configparser
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
# The packages a python:3.11-slim-bookworm stand-in needs: the interpreter, venv (ensurepip) and
# the `python` name the Dockerfile calls.
BASE_PACKAGES = ("python3", "python3-venv", "python-is-python3")
PIP_CONF_IN_BUILD = "/etc/pip.conf"


def base_image(context: Path) -> str:
    """The FROM of the Dockerfile's first stage (every stage uses the same one)."""
    for line in (context / "Dockerfile").read_text().splitlines():
        if line.upper().startswith("FROM "):
            return line.split()[1]
    raise SystemExit("Dockerfile has no FROM")


def qualified(name: str) -> str:
    """Docker Hub's full name for a short one (`python:3.11` -> `docker.io/library/python:3.11`)."""
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        return name
    return f"docker.io/{name}" if "/" in name else f"docker.io/library/{name}"


def container_tool() -> str:
    for tool in ("buildah", "podman", "docker"):
        if shutil.which(tool):
            return tool
    raise SystemExit("no buildah, podman or docker on PATH: apt-get install buildah podman runc mmdebstrap")


def image_exists(tool: str, name: str) -> bool:
    cmd = {"buildah": ["buildah", "inspect", "--type", "image"], "podman": ["podman", "image", "inspect"]}.get(
        tool, ["docker", "image", "inspect"]
    )
    return subprocess.run([*cmd, name], capture_output=True, check=False).returncode == 0


def ensure_base(tool: str, name: str, pull_timeout: float) -> str:
    """Use the base if present, else pull it, else build the Debian stand-in. Returns what happened."""
    if image_exists(tool, qualified(name)) or image_exists(tool, name):
        return "present"
    try:
        pulled = subprocess.run([tool, "pull", qualified(name)], timeout=pull_timeout, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        pulled = False
    if pulled:
        return "pulled"
    build_debian_base(tool, qualified(name))
    return "built from Debian packages"


def build_debian_base(tool: str, tag: str) -> None:
    """mmdebstrap a minimal bookworm with python3 and import it as `tag`."""
    if not shutil.which("mmdebstrap"):
        raise SystemExit(f"base {tag} is not available and mmdebstrap is missing: apt-get install mmdebstrap")
    importer = "podman" if tool == "buildah" else tool  # buildah has no import; podman shares its storage
    with tempfile.TemporaryDirectory() as tmp:
        tarball = Path(tmp) / "rootfs.tar"
        subprocess.run(
            [
                "mmdebstrap", "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES),
                "--aptopt=APT::Install-Recommends \"false\"",
                '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* '
                '"$1"/usr/share/doc/* "$1"/usr/share/man/*',
                "--format=tar", "bookworm", str(tarball),
            ],
            check=True,
        )  # fmt: skip
        subprocess.run(
            [
                importer, "import",
                "--change", "ENV LANG=C.UTF-8",
                "--change", 'CMD ["python3"]',
                "--message", "Debian bookworm python3 (3.11) built by scripts/build_image.py, standing in for " + tag,
                str(tarball), tag,
            ],
            check=True,
        )  # fmt: skip


def local_paths(value: str) -> list[Path]:
    """Local files or directories a pip setting names (paths, file:// URLs; an index's parent too)."""
    found = []
    for item in value.split():
        parsed = urlparse(item)
        if parsed.scheme not in ("", "file"):
            continue
        path = Path(parsed.path)
        if not path.is_absolute() or not path.exists():
            continue
        # A PEP 503 index in `<root>/simple` may link its files relative to <root>.
        found.append(path.parent if path.name == "simple" else path)
    return found


def pip_settings(pip: str) -> tuple[str, list[Path]]:
    """This machine's effective pip settings as one pip.conf, and the local paths they refer to."""
    listing = subprocess.run([pip, "config", "list"], capture_output=True, text=True, check=True).stdout
    config = configparser.ConfigParser(interpolation=None)
    paths: list[Path] = []
    for line in listing.splitlines():
        key, _, quoted = line.partition("=")
        section, _, option = key.rpartition(".")
        value = quoted.strip().strip("'\"")
        section = "global" if section in ("", ":env:") else section  # PIP_* variables are global settings
        if not config.has_section(section):
            config.add_section(section)
        config.set(section, option, value)
        paths += local_paths(value)
    lines = []
    for section in config.sections():
        lines.append(f"[{section}]")
        lines += [f"{option} = {value}" for option, value in config.items(section)]
    return "\n".join(lines) + "\n", sorted(set(paths))


def build(tool: str, context: Path, tag: str, pip: str, build_args: list[str]) -> None:
    conf_text, paths = pip_settings(pip)
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "pip.conf"
        conf.write_text(conf_text)
        conf.chmod(0o644)
        mounts = [f"{conf}:{PIP_CONF_IN_BUILD}:ro", *(f"{p}:{p}:ro" for p in paths)]
        if tool == "docker":
            # docker build cannot bind-mount into RUN steps: it uses pip's defaults (PyPI).
            cmd = ["docker", "build"]
        else:
            cmd = [tool, "build", "--isolation", "chroot", "--layers", "--pull=never"]
            cmd += [arg for mount in mounts for arg in ("--volume", mount)]
        args = [f"--build-arg={a}" for a in build_args]
        subprocess.run([*cmd, *args, "--tag", tag, "--file", str(context / "Dockerfile"), str(context)], check=True)


def image_size(tool: str, tag: str) -> int:
    cmd = "podman" if tool == "buildah" else tool
    out = subprocess.run(
        [cmd, "image", "inspect", "--format", "{{.Size}}", tag], capture_output=True, text=True, check=True
    ).stdout
    return int(out.split()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tag", default="localhost/sitrep:0.1.0", help="name of the built image")
    parser.add_argument("--pip", default=str(Path(sys.executable).parent / "pip"), help="pip whose settings to use")
    parser.add_argument("--build-arg", action="append", default=[], help="KEY=VALUE, passed to the build")
    parser.add_argument("--pull-timeout", type=float, default=60.0, help="seconds to try pulling the base")
    parser.add_argument("--base-only", action="store_true", help="only make sure the base image exists")
    parser.add_argument("--context", type=Path, default=ROOT, help="build context (default: this checkout)")
    args = parser.parse_args()

    tool = container_tool()
    started = time.monotonic()
    base = base_image(args.context)
    how = ensure_base(tool, base, args.pull_timeout)
    base_seconds = time.monotonic() - started
    print(f"base {base}: {how} ({base_seconds:.0f} s)", flush=True)
    if args.base_only:
        return 0
    build(tool, args.context, args.tag, args.pip, args.build_arg)
    build_seconds = time.monotonic() - started - base_seconds
    size = image_size(tool, args.tag)
    print(f"image {args.tag}: {size / 2**20:.0f} MiB, built with {tool} in {build_seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
