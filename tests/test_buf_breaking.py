"""The API stays wire- and source-compatible with v0.1: `buf breaking` (FILE rules, protos/buf.yaml)
finds nothing against the v0.1 proto, kept in tests/data/proto_v0.1 as released (commit c968552).

buf comes from npm (package.json pins it): run `npm ci` in the repo root first.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.server import ROOT
from tests.test_interop import buf

V0_1 = ROOT / "tests" / "data" / "proto_v0.1"


def breaking(protos: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(buf()), "breaking", "--against", str(V0_1)], cwd=protos, capture_output=True, text=True, timeout=120
    )


def test_no_breaking_change_against_v0_1() -> None:
    done = breaking(ROOT / "protos")
    assert done.returncode == 0, f"buf breaking against v0.1:\n{done.stdout}{done.stderr}"


def test_buf_breaking_sees_a_removed_field(tmp_path: Path) -> None:
    """The check can fail: dropping a v0.1 field (Attack.weapon) is reported."""
    protos = tmp_path / "protos"
    shutil.copytree(ROOT / "protos", protos)
    proto = protos / "sitrep" / "v1" / "extraction.proto"
    text = proto.read_text()
    assert text.count("  Mention weapon = 4;\n") == 1
    proto.write_text(text.replace("  Mention weapon = 4;\n", ""))
    done = breaking(protos)
    assert done.returncode != 0
    assert 'Previously present field "4" with name "weapon" on message "Attack" was deleted' in done.stdout
