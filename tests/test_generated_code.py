"""The committed protobuf code is what protos/ generates today."""

import subprocess
import sys

from tests.server import ROOT


def test_generated_code_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/gen_proto.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
