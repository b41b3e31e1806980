"""Every rule-error class, each reported at its exact file:line:col, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.errors import E
from service.rules.errors import RuleSetError
from service.rules.loader import MAX_FILE_BYTES, load_rules
from service.rules.needs import ModelComponents

GOOD_RULE = """\
  - id: ok.rule
    event: attack
    pattern:
      - {LOWER: shelled, as: trigger}
"""


def errors_of(tmp_path: Path, text: str, components: ModelComponents | None = None, name: str = "r.yaml") -> list[str]:
    (tmp_path / name).write_text(text)
    with pytest.raises(RuleSetError) as info:
        load_rules(tmp_path, components)
    return [str(e).removeprefix(f"{tmp_path}/") for e in info.value.errors]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\nrules: [\n", "r.yaml:3:1: [R101] invalid YAML"),
        ("version: 1\nversion: 1\n", "r.yaml:2:1: [R101] invalid YAML: duplicate key 'version'"),
        ("- a\n- b\n", "r.yaml:1:1: [R102]"),
        ("version: 2\n", "r.yaml:1:1: [R103] version: Input should be 1"),
        ("version: 1\ncolour: red\n", "r.yaml:2:1: [R103] (file): unknown key 'colour'"),
        (
            "version: 1\nrules:\n  - id: a.b\n    event: attack\n    colour: red\n    phrases: [x]\n",
            "r.yaml:5:5: rule a.b: [R103] rules.0: unknown key 'colour'",
        ),
        (
            "version: 1\nrules:\n  - id: a.b\n    event: attack\n    confidence: 7\n    phrases: [x]\n",
            "r.yaml:5:5: rule a.b: [R103] rules.0.confidence: Input should be less than or equal to 1",
        ),
        (
            "version: 1\nrules:\n  - id: a.b\n    event: attack\n",
            "r.yaml:3:5: rule a.b: [R111] a rule needs exactly one of",
        ),
        (
            "version: 1\nrules:\n  - id: a.b\n    event: attack\n    pattern:\n      - {LEMMA: {IN: $nope}, as: trigger}\n",
            "r.yaml:6:18: rule a.b: [R202] unknown lexicon $nope",
        ),
        (
            "version: 1\nrules:\n  - id: a.b\n    event: attack\n    pattern:\n      - {LOWER: x, as: victims}\n",
            "r.yaml:6:20: rule a.b: [R203] unknown role 'victims' for event type attack",
        ),
        (
            "version: 1\nrules:\n  - id: a.b\n    event: attack\n    pattern:\n      - {LOWER: x, as: trigger}\n"
            "      - {FOO: 1}\n",
            "r.yaml:7:10: rule a.b: [R201] invalid token pattern 1 -> FOO: Extra inputs are not permitted",
        ),
        (
            "version: 1\nrules:\n  - id: a.b\n    event: siege\n    dependency:\n"
            "      - {RIGHT_ID: trigger, RIGHT_ATTRS: {LOWER: x}}\n"
            "      - {LEFT_ID: nope, REL_OP: '>', RIGHT_ID: location, RIGHT_ATTRS: {DEP: dobj}}\n",
            "r.yaml:7:10: rule a.b: [R204] dependency pattern: LEFT_ID 'nope' is not a RIGHT_ID defined above",
        ),
        (
            "version: 1\nrules:\n  - id: a.b\n    event: attack\n    pattern:\n"
            "      - {TEXT: {REGEX: '(a+)+b'}, as: trigger}\n",
            "r.yaml:6:17: rule a.b: [R207] REGEX '(a+)+b' is not allowed",
        ),
        (
            "version: 1\nrules:\n  - id: a.b\n    event: attack\n    pattern:\n"
            "      - {LOWER: {REGEX: '^(a|ab)*$'}, as: trigger}\n",
            "r.yaml:6:18: rule a.b: [R207] REGEX '^(a|ab)*$' is not allowed: a quantified group contains a "
            "quantifier or alternatives",
        ),
        (
            "version: 1\nrules:\n  - id: a.b\n    event: attack\n    phrases: [x]\n    expand: {target: token}\n",
            "r.yaml:6:14: rule a.b: [R208] `expand` names role 'target'",
        ),
        (
            "version: 1\nrules:\n" + GOOD_RULE + GOOD_RULE,
            "r.yaml:7:5: rule ok.rule: [R110] duplicate rule id 'ok.rule', first defined at",
        ),
        (
            "version: 1\nrules:\n  - id: a.b\n    event: attack\n    dependency:\n"
            "      - {RIGHT_ID: trigger, RIGHT_ATTRS: {DEP: ROOT}}\n",
            "r.yaml:5:5: rule a.b: [R301] the rule reads DEP, which needs the 'parser' component; "
            "model 'en_tokens_only' has no components",
        ),
        ("version: 1\nrules: !!python/object:os.system {}\n", "r.yaml:2:8: [R101] invalid YAML: tag"),
    ],
)
def test_each_error_class_has_its_position(tmp_path: Path, text: str, expected: str) -> None:
    found = errors_of(tmp_path, text, components=ModelComponents("en_tokens_only", frozenset()))
    assert any(line.startswith(expected) for line in found), found


def test_all_errors_at_once_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("version: 1\nlexicons:\n  verbs: [shell]\nrules:\n" + GOOD_RULE)
    found = errors_of(
        tmp_path,
        "version: 1\nlexicons:\n  verbs: [hit]\nrules:\n" + GOOD_RULE + "  - id: z\n    event: war\n    phrases: [x]\n",
        name="b.yaml",
    )
    assert [line.split(": [")[1][:4] for line in found] == ["R205", "R110", "R112"]


def test_a_refused_file_fails_the_load(tmp_path: Path) -> None:
    """An oversized file is no silent gap in the pack: its refusal is reported beside the errors
    of the rules that needed its lexicons, and the pack loads again once the file is back to size."""
    (tmp_path / "a.yaml").write_text(
        "version: 1\nrules:\n" + GOOD_RULE.replace("LOWER: shelled", "LOWER: {IN: $verbs}")
    )
    (tmp_path / "big.yaml").write_text("version: 1\nlexicons:\n  verbs: [shell]\n" + "#" * MAX_FILE_BYTES)
    with pytest.raises(RuleSetError) as failed:
        load_rules(tmp_path)
    codes = [str(error).split(": [")[1][:4] for error in failed.value.errors]
    assert codes == ["R202", "R106"] and str(failed.value.errors[1]).startswith(str(tmp_path / "big.yaml"))
    (tmp_path / "big.yaml").write_text("version: 1\nlexicons:\n  verbs: [shell]\n")
    assert [rule.id for rule in load_rules(tmp_path).rules] == ["ok.rule"]


def test_lexicons_expand_across_files(tmp_path: Path) -> None:
    (tmp_path / "lex.yaml").write_text("version: 1\nlexicons:\n  verbs: [shell, bomb]\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "r.yaml").write_text(
        "version: 1\nrules:\n  - id: a\n    event: attack\n    pattern:\n      - {LOWER: {IN: [$verbs, hit]}, as: trigger}\n"
    )
    (tmp_path / ".r.yaml.swp").write_text("garbage: [")
    spec = load_rules(tmp_path)
    assert spec.rules[0].pattern == ({"LOWER": {"IN": ["shell", "bomb", "hit"]}},)
    assert spec.rules[0].file.endswith("sub/r.yaml") and spec.rules[0].line == 3


def test_catalogue_codes_and_placeholders() -> None:
    names = [e.name for e in E]
    assert len(names) == len(set(names))
    for error in E:
        message = error.format(**dict.fromkeys(error.placeholders, "X"))
        assert message.startswith(f"[{error.name}] ")
        assert "{" not in message
