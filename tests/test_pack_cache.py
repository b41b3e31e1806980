"""The on-disk cache of validated packs (`service/rules/cache.py`): a hit skips validation and gives
the same spec (warnings included), a changed file misses, a corrupt entry is ignored and rewritten,
an unusable directory falls back to the normal load, and a pack with errors is never stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.rules import loader
from service.rules.cache import cache_dir
from service.rules.errors import RuleSetError
from service.rules.needs import ModelComponents

pytestmark = pytest.mark.fast

RULES = """\
version: 1
lexicons:
  unused_words: [alpha, beta]
rules:
  - id: ok.shelled
    event: attack
    pattern:
      - {LOWER: shelled, as: trigger}
"""


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The roots validated for real (not taken from the cache)."""
    seen: list[str] = []
    real = loader._load_snapshot

    def counting(snapshot: loader.Snapshot, components: ModelComponents | None) -> loader.RuleSetSpec:
        seen.append(snapshot.root)
        return real(snapshot, components)

    monkeypatch.setattr(loader, "_load_snapshot", counting)
    return seen


def pack(tmp_path: Path, text: str = RULES) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "r.yaml").write_text(text, encoding="utf-8")
    return rules


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("pack-*.pickle"))


def test_hit_gives_the_same_spec_without_validating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[str]
) -> None:
    monkeypatch.setenv("SITREP_CACHE_DIR", str(tmp_path / "cache"))
    rules = pack(tmp_path)
    first = loader.load_rules(rules)
    assert first.warnings, "the unused lexicon is a warning, which a cached load must report too"
    assert len(entries(tmp_path / "cache")) == 1
    second = loader.load_rules(rules)
    assert second == first
    assert second.warnings == first.warnings
    assert loads == [str(rules)]  # validated once


def test_miss_on_a_changed_file_or_other_components(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[str]
) -> None:
    monkeypatch.setenv("SITREP_CACHE_DIR", str(tmp_path / "cache"))
    rules = pack(tmp_path)
    before = loader.load_rules(rules)
    pack(tmp_path, RULES.replace("shelled", "bombed"))
    after = loader.load_rules(rules)
    assert after.version != before.version
    assert after.rules[0].pattern[0]["LOWER"] == "bombed"
    loader.load_rules(rules, ModelComponents("en_test", frozenset({"parser"})))
    (rules / "more.yaml").write_text("version: 1\nrules: []\n", encoding="utf-8")
    assert loader.load_rules(rules).files == ("more.yaml", "r.yaml")
    assert len(loads) == 4
    assert len(entries(tmp_path / "cache")) == 4


def test_corrupt_entry_is_ignored_and_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[str]
) -> None:
    monkeypatch.setenv("SITREP_CACHE_DIR", str(tmp_path / "cache"))
    rules = pack(tmp_path)
    expected = loader.load_rules(rules)
    [entry] = entries(tmp_path / "cache")
    for garbage in (b"", b"not a pickle", entry.read_bytes()[:100], b"sitrep-pack-cache 1\n\x80\x05K\x01."):
        entry.write_bytes(garbage)
        assert loader.load_rules(rules) == expected
        assert entry.read_bytes() != garbage  # written again
    assert len(loads) == 5


def test_unusable_cache_directory_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[str]) -> None:
    rules = pack(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    expected = loader.load_rules(rules)
    for unusable in (blocker, blocker / "sub"):  # as root, a file in the way is what refuses writes
        monkeypatch.setenv("SITREP_CACHE_DIR", str(unusable))
        assert loader.load_rules(rules) == expected
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        monkeypatch.setenv("SITREP_CACHE_DIR", str(read_only))
        assert loader.load_rules(rules) == expected
    finally:
        read_only.chmod(0o700)
    monkeypatch.setenv("SITREP_CACHE_DIR", "")  # turned off
    assert cache_dir() is None
    assert loader.load_rules(rules) == expected
    assert blocker.read_text() == "not a directory"


def test_a_pack_with_errors_is_never_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITREP_CACHE_DIR", str(tmp_path / "cache"))
    rules = pack(tmp_path, RULES.replace("LOWER: shelled", "LOWER: shelled, BOGUS: 1"))
    messages = []
    for _ in range(2):
        with pytest.raises(RuleSetError) as info:
            loader.load_rules(rules)
        messages.append([str(e) for e in info.value.errors])
    assert messages[0] == messages[1] and messages[0]
    assert not entries(tmp_path / "cache")


def test_default_directory_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SITREP_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "sitrep"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "sitrep"


def test_a_directory_others_can_write_to_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[str]
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SITREP_CACHE_DIR", str(cache))
    rules = pack(tmp_path)
    expected = loader.load_rules(rules)
    cache.chmod(0o777)
    try:
        assert loader.load_rules(rules) == expected
        assert len(loads) == 2  # validated again: the entry was not unpickled
    finally:
        cache.chmod(0o700)
    assert loader.load_rules(rules) == expected
    assert len(loads) == 2
