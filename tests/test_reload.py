"""Hot reload against the real server and real files, under concurrent load."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from tests.server import ROOT, ExtractLoad, RunningServer, run_server

SIEGE_RULE = """\
version: 1
rules:
  - id: siege.besieged_city
    event: siege
    pattern:
      - {LOWER: besieged, as: trigger}
      - {POS: {IN: [NOUN, PROPN]}, as: location}
    examples:
      - text: They entered the besieged Mariupol.
        expect: [{location: Mariupol}]
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Path]]:
    rules = tmp_path_factory.mktemp("pack") / "rules"
    shutil.copytree(ROOT / "tests" / "data" / "rules", rules)
    with run_server(rules, "--poll-interval", "1", log_dir=tmp_path_factory.mktemp("logs")) as server:
        yield server, rules


class Load(ExtractLoad):
    """Concurrent Extract calls until stopped; records every failure and every version seen."""

    def __init__(self, server: RunningServer, threads: int = 4) -> None:
        self.versions: list[str] = []
        super().__init__(server, "Troops shelled the besieged Mariupol.", self._saw, threads)

    def _saw(self, reply: pb.ExtractResponse) -> None:
        self.versions.append(reply.rule_set_version)


def rule_set(server: RunningServer) -> pb.GetRuleSetResponse:
    with server.channel() as channel:
        return pbg.ExtractionServiceStub(channel).GetRuleSet(pb.GetRuleSetRequest())


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> float:
    start = time.time()
    while time.time() - start < timeout:
        if check():
            return time.time() - start
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s")


def test_add_change_delete_under_load(live: tuple[RunningServer, Path]) -> None:
    server, rules = live
    with Load(server) as load:
        before = rule_set(server).version
        (rules / "sieges.yaml").write_text(SIEGE_RULE)
        wait_for(lambda: "siege.besieged_city" in {r.id for r in rule_set(server).rules})
        added = rule_set(server).version
        text = (rules / "basic.yaml").read_text()
        (rules / "basic.yaml").write_text(text.replace("shell, shoot]", "shell, shoot, raid]"))
        wait_for(lambda: rule_set(server).version not in {before, added})
        (rules / "sieges.yaml").unlink()
        wait_for(lambda: "siege.besieged_city" not in {r.id for r in rule_set(server).rules})
        time.sleep(0.5)
    assert load.errors == []
    assert len(load.versions) > 10
    assert added in load.versions


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("version: 1\nrules: [\n", "bad.yaml:3:1"),
        ("version: 1\nrulez: []\n", "bad.yaml:2:1"),
        (SIEGE_RULE.replace("expect: [{location: Mariupol}]", "expect: [{location: Kyiv}]"), "bad.yaml:9:1"),
        (SIEGE_RULE[: len(SIEGE_RULE) // 2], "bad.yaml:"),
    ],
    ids=["invalid-yaml", "unknown-key", "failing-example", "truncated"],
)
def test_a_bad_reload_keeps_the_old_rules(live: tuple[RunningServer, Path], content: str, where: str) -> None:
    server, rules = live
    serving = rule_set(server).version
    with Load(server, threads=2) as load:
        (rules / "bad.yaml").write_text(content)
        wait_for(lambda: not rule_set(server).last_reload.success)
        state = rule_set(server)
        (rules / "bad.yaml").unlink()
        wait_for(lambda: rule_set(server).last_reload.success)
    assert state.version == serving
    assert any(where in error for error in state.last_reload.errors), state.last_reload.errors
    assert where.split(":")[0] in server.log()
    assert load.errors == [] and set(load.versions) == {serving}


def test_configmap_style_symlink_swap(tmp_path: Path) -> None:
    mount = tmp_path / "mount"
    first = mount / "..2026_01_01_00_00_00.000000001"
    first.mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "data" / "rules" / "basic.yaml", first / "basic.yaml")
    (mount / "..data").symlink_to(first.name)
    (mount / "basic.yaml").symlink_to("..data/basic.yaml")
    with run_server(mount, "--no-watch", "--poll-interval", "1", log_dir=tmp_path) as server:
        old = rule_set(server).version
        second = mount / "..2026_01_01_00_01_00.000000002"
        second.mkdir()
        shutil.copy(first / "basic.yaml", second / "basic.yaml")
        (second / "sieges.yaml").write_text(SIEGE_RULE)
        (mount / "sieges.yaml").symlink_to("..data/sieges.yaml")
        tmp_link = mount / "..data_tmp"
        tmp_link.symlink_to(second.name)
        tmp_link.replace(mount / "..data")  # the atomic swap kubelet does
        shutil.rmtree(first)
        wait_for(lambda: rule_set(server).version != old)
        assert "siege.besieged_city" in {r.id for r in rule_set(server).rules}
