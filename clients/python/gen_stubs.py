"""Generate the client's protobuf/gRPC stubs from the repository's protos/ (`make client`).

The same generator as the server's code (scripts/gen_proto.py), with the imports rewritten to
`sitrep_client.proto`, so client and server stubs cannot drift apart. `--check` regenerates into
a temporary directory and fails when the committed stubs differ (run by tests/test_client.py).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE / "src" / "sitrep_client" / "proto"
sys.path.insert(0, str(ROOT / "scripts"))

from gen_proto import generate  # noqa: E402  (scripts/ is not a package)


def generate_client(out: Path) -> None:
    generate(out)
    for path in out.rglob("*.py*"):
        path.write_text(path.read_text().replace("service.proto.", "sitrep_client.proto."))


def stale(out: Path) -> list[str]:
    """Files under `out` that differ from a fresh generation, or are missing or extra."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate_client(fresh)
        names = {p.relative_to(fresh) for p in fresh.rglob("*.py*")} | {p.relative_to(out) for p in out.rglob("*.py*")}
        return sorted(
            str(name)
            for name in names
            if not (fresh / name).exists()
            or not (out / name).exists()
            or not filecmp.cmp(fresh / name, out / name, shallow=False)
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed stubs are stale")
    args = parser.parse_args()
    if args.check:
        differ = stale(OUT)
        if differ:
            print("stale client stubs, run `make client`:", *differ, sep="\n  ", file=sys.stderr)
        return 1 if differ else 0
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    generate_client(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
