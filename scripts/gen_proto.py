"""Generate the Python protobuf/gRPC code for protos/ into service/proto/.

The generated modules import each other as `sitrep.v1....`; they are rewritten to import from
`service.proto.sitrep.v1` so the package needs no sys.path tricks. `--check` regenerates into a
temporary directory and fails when the committed code differs (used by the test suite).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

from grpc_tools import protoc

_WELL_KNOWN = str(files("grpc_tools") / "_proto")  # google/protobuf/*.proto

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "service" / "proto"


def generate(out: Path) -> None:
    # The mypy plugins are console scripts installed beside this interpreter.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    sources = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    args = [
        "protoc",
        f"-I{PROTOS}",
        f"-I{_WELL_KNOWN}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *sources,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for path in out.rglob("*.py*"):
        text = path.read_text()
        text = text.replace("from sitrep.v1 import", "from service.proto.sitrep.v1 import")
        text = text.replace("import sitrep.v1.", "import service.proto.sitrep.v1.")
        path.write_text(text)
    for pkg in [out, *(d for d in out.rglob("*") if d.is_dir())]:
        (pkg / "__init__.py").touch()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if service/proto is stale")
    args = parser.parse_args()
    if not args.check:
        generate(OUT)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        stale = [
            str(p.relative_to(tmp))
            for p in Path(tmp).rglob("*.py*")
            if not (OUT / p.relative_to(tmp)).exists() or not filecmp.cmp(p, OUT / p.relative_to(tmp), shallow=False)
        ]
    if stale:
        print("stale generated code, run `make proto`:", *stale, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
