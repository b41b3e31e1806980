"""The rule language's authoring features: templates, OPTIONAL nodes, named priorities, explicit
vetoes and W-coded lint warnings. Fast tier: rule files in a temporary directory and Docs built
by hand (words, heads, deps, lemmas), no model load."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc

from service.engine.compiled import compile_rules
from service.engine.matching import find_candidates
from service.engine.resolve import PARTIAL, Grown, resolve_overlaps
from service.events.model import Suppressed
from service.rules.errors import RuleSetError
from service.rules.loader import load_rules
from service.rules.schema import RuleSetSpec

pytestmark = pytest.mark.fast

NLP = spacy.blank("en")

HEADER = """\
version: 1
priorities: {strong: 30, weak: 10}
templates:
  subject: {LEFT_ID: trigger, REL_OP: ">", RIGHT_ID: attacker, RIGHT_ATTRS: {DEP: nsubj, LOWER: {NOT_IN: $pronouns}}}
lexicons:
  pronouns: [we, who]
  verbs: [shell, raid]
"""

SHELLING = """\
  - id: shelling
    event: attack
    priority: strong
    dependency:
      - {RIGHT_ID: trigger, RIGHT_ATTRS: {LEMMA: {IN: $verbs}}}
      - {OPTIONAL: true, USE: subject}
      - {LEFT_ID: trigger, REL_OP: ">", RIGHT_ID: target, RIGHT_ATTRS: {DEP: dobj}}
    examples:
      - {text: "Rebels shelled the town.", expect: [{attacker: Rebels, target: the town}]}
      - {text: "The town was quiet.", expect: []}
"""


def pack(tmp_path: Path, rules: str, header: str = HEADER) -> RuleSetSpec:
    (tmp_path / "pack.yaml").write_text(header + "rules:\n" + rules, encoding="utf-8")
    return load_rules(tmp_path)


def errors(tmp_path: Path, rules: str, header: str = HEADER) -> list[str]:
    with pytest.raises(RuleSetError) as caught:
        pack(tmp_path, rules, header)
    return [error.message for error in caught.value.errors]


def parsed(words: list[str], heads: list[int], deps: list[str], lemmas: list[str]) -> Doc:
    """A parsed Doc without a model: heads as absolute indices (the root is its own head)."""
    return Doc(NLP.vocab, words=words, heads=heads, deps=deps, lemmas=lemmas, pos=["X"] * len(words))


def kept(spec: RuleSetSpec, doc: Doc) -> list[Grown]:
    return resolved(spec, doc)[0]


def resolved(spec: RuleSetSpec, doc: Doc) -> tuple[list[Grown], list[Suppressed]]:
    compiled = compile_rules(spec, NLP)
    candidates = find_candidates(doc, compiled)
    grown = [
        Grown(c, {role: (ids[0], ids[-1] + 1) for role, ids in c.tokens.items()}, c.start, c.end)
        for c in candidates
    ]  # fmt: skip
    return resolve_overlaps(grown, doc)


def test_template_expands_with_parameters_and_lexicons(tmp_path: Path) -> None:
    rule = SHELLING.replace("{OPTIONAL: true, USE: subject}", "{USE: subject, RIGHT_ATTRS: {POS: NOUN}}")
    spec = pack(tmp_path, rule)
    node = spec.rules[0].pattern[1]
    assert node["LEFT_ID"] == "trigger" and node["RIGHT_ID"] == "attacker"
    assert node["RIGHT_ATTRS"] == {"DEP": "nsubj", "LOWER": {"NOT_IN": ["we", "who"]}, "POS": "NOUN"}


def test_unknown_template_is_a_coded_error(tmp_path: Path) -> None:
    messages = errors(tmp_path, SHELLING.replace("USE: subject", "USE: subjekt"))
    assert any(m.startswith("[R214] template 'subjekt': not defined") for m in messages)


def test_optional_node_makes_one_rule_match_with_and_without_it(tmp_path: Path) -> None:
    spec = pack(tmp_path, SHELLING)
    rule = spec.rules[0]
    assert rule.priority == 30
    assert [[n["RIGHT_ID"] for n in v] for v in rule.variants] == [
        ["trigger", "attacker", "target"], ["trigger", "target"]
    ]  # fmt: skip
    full = parsed(["Rebels", "shelled", "the", "town"], [1, 1, 3, 1], ["nsubj", "ROOT", "det", "dobj"],
                  ["rebel", "shell", "the", "town"])  # fmt: skip
    [event], suppressed = resolved(spec, full)  # the rule's partial match stands aside, not as a rival
    assert [(s.rule_id, s.winner, s.reason) for s in suppressed] == [("shelling", "shelling", PARTIAL)]
    assert event.rule_id == "shelling" and set(event.spans) == {"trigger", "attacker", "target"}
    bare = parsed(["to", "shell", "the", "town"], [1, 1, 3, 1], ["aux", "ROOT", "det", "dobj"],
                  ["to", "shell", "the", "town"])  # fmt: skip
    [event] = kept(spec, bare)
    assert set(event.spans) == {"trigger", "target"}


def test_optional_anchor_and_bad_optional_value_are_refused(tmp_path: Path) -> None:
    messages = errors(tmp_path, SHELLING.replace("OPTIONAL: true", "OPTIONAL: maybe"))
    assert any(m.startswith("[R215] OPTIONAL node") for m in messages)
    anchor = SHELLING.replace("{RIGHT_ID: trigger,", "{OPTIONAL: true, RIGHT_ID: trigger,")
    assert any("unexpected key 'OPTIONAL'" in m for m in errors(tmp_path, anchor))


def test_rementions_needs_a_veto(tmp_path: Path) -> None:
    messages = errors(
        tmp_path, SHELLING.replace("    priority: strong", "    priority: strong\n    rementions: true", 1)
    )
    assert any(m.startswith("[R216] `rementions: true` needs `veto: true`") for m in messages)


def test_unknown_priority_level_and_out_of_range_number(tmp_path: Path) -> None:
    messages = errors(tmp_path, SHELLING.replace("priority: strong", "priority: urgent"))
    assert any(m.startswith("[R116] unknown priority level 'urgent'; named levels: strong, weak") for m in messages)
    messages = errors(tmp_path, SHELLING.replace("priority: strong", "priority: 5000"))
    assert any(m.startswith("[R118] priority 5000 is outside -1000..1000") for m in messages)


def test_a_priority_level_is_defined_once_per_pack(tmp_path: Path) -> None:
    (tmp_path / "more.yaml").write_text("version: 1\npriorities: {strong: 40}\n", encoding="utf-8")
    assert any(m.startswith("[R117] priority level 'strong': already defined") for m in errors(tmp_path, SHELLING))


VETO = """\
  - id: shelling.not.proposal
    event: attack
    veto: true
    priority: strong
    dependency:
      - {RIGHT_ID: trigger, RIGHT_ATTRS: {LEMMA: {IN: $verbs}}}
      - {LEFT_ID: trigger, REL_OP: ">", RIGHT_ID: target, RIGHT_ATTRS: {DEP: dobj, LEMMA: proposal}}
    examples:
      - {text: "Critics shelled the proposal.", expect: [{target: the proposal}]}
"""


def test_veto_drops_candidates_on_its_words_and_is_never_an_event(tmp_path: Path) -> None:
    spec = pack(tmp_path, SHELLING + VETO)
    doc = parsed(["Critics", "shelled", "the", "proposal"], [1, 1, 3, 1], ["nsubj", "ROOT", "det", "dobj"],
                 ["critic", "shell", "the", "proposal"])  # fmt: skip
    assert kept(spec, doc) == []
    town = parsed(["Critics", "shelled", "the", "town"], [1, 1, 3, 1], ["nsubj", "ROOT", "det", "dobj"],
                  ["critic", "shell", "the", "town"])  # fmt: skip
    assert [e.rule_id for e in kept(spec, town)] == ["shelling"]


def test_confidence_zero_without_veto_is_an_ordinary_rule_and_warned(tmp_path: Path) -> None:
    spec = pack(tmp_path, SHELLING + VETO.replace("    veto: true\n", "    confidence: 0.0\n"))
    doc = parsed(["Critics", "shelled", "the", "proposal"], [1, 1, 3, 1], ["nsubj", "ROOT", "det", "dobj"],
                 ["critic", "shell", "the", "proposal"])  # fmt: skip
    assert {e.rule_id for e in kept(spec, doc)} == {"shelling"}
    assert [w.rule_id for w in spec.warnings if w.message.startswith("[W105]")] == ["shelling.not.proposal"]


def test_lint_warnings_are_coded_and_never_fail_the_load(tmp_path: Path) -> None:
    header = HEADER.replace("  verbs: [shell, raid]", "  verbs: [shell, raid, shell]\n  unused: [x]\n  also: [raid]")
    rule = SHELLING.replace("$verbs", "[$verbs, $also]").replace(
        '      - {text: "The town was quiet.", expect: []}\n', ""
    )
    spec = pack(tmp_path, rule, header)
    messages = sorted(w.message for w in spec.warnings)
    assert messages == [
        "[W101] lexicon 'unused' is never used by a rule",
        "[W102] lexicon 'verbs' lists shell more than once",
        "[W103] IN lists words twice, from $verbs and $also: raid",
        "[W104] the rule has no negative example (one with `expect: []`)",
    ]


def test_a_lexicon_includes_another_by_name(tmp_path: Path) -> None:
    header = HEADER.replace("  verbs: [shell, raid]", "  verbs: [$more, shell, raid]\n  more: [storm, raid]")
    spec = pack(tmp_path, SHELLING, header)
    assert spec.rules[0].pattern[0]["RIGHT_ATTRS"]["LEMMA"]["IN"] == ["shell", "raid", "storm"]
    assert not [w for w in spec.warnings if "W101" in w.message or "W102" in w.message]  # used, no repeat


def test_an_unknown_or_circular_lexicon_inclusion_is_a_coded_error(tmp_path: Path) -> None:
    unknown = HEADER.replace("  verbs: [shell, raid]", "  verbs: [$moer, shell]")
    assert any(m.startswith("[R202] unknown lexicon $moer") for m in errors(tmp_path, SHELLING, unknown))
    circular = HEADER.replace("  verbs: [shell, raid]", "  verbs: [$more, shell]\n  more: [$verbs, storm]")
    assert any(m.startswith("[R218] lexicon ") for m in errors(tmp_path, SHELLING, circular))


def test_the_shipped_pack_uses_the_language_and_lints_clean() -> None:
    spec = load_rules(Path(__file__).parent.parent / "rules")
    assert any(rule.variants for rule in spec.rules)
    assert sum(rule.veto for rule in spec.rules) >= 20
    assert not [w for w in spec.warnings if not w.message.startswith("[W103]")]


def test_a_partial_match_takes_the_partial_priority_and_confidence(tmp_path: Path) -> None:
    rule = SHELLING.replace(
        "    priority: strong\n", "    priority: strong\n    partial_priority: weak\n    partial_confidence: 0.6\n"
    )
    spec = pack(tmp_path, rule)
    bare = parsed(["to", "shell", "the", "town"], [1, 1, 3, 1], ["aux", "ROOT", "det", "dobj"],
                  ["to", "shell", "the", "town"])  # fmt: skip
    [event] = kept(spec, bare)
    assert (event.rule_id, event.candidate.rule.priority, event.candidate.rule.confidence) == ("shelling", 10, 0.6)
    no_optional = rule.replace("{OPTIONAL: true, USE: subject}", "{USE: subject}")
    assert any("need an OPTIONAL node" in m for m in errors(tmp_path, no_optional))


def test_a_file_event_type_applies_to_rules_that_name_none(tmp_path: Path) -> None:
    spec = pack(
        tmp_path,
        SHELLING.replace("    event: attack\n", ""),
        HEADER.replace("version: 1\n", "version: 1\nevent: attack\n"),
    )
    assert [rule.event for rule in spec.rules] == ["attack"]
    messages = errors(tmp_path, SHELLING.replace("    event: attack\n", ""))
    assert any("event" in m and "Field required" in m for m in messages)


def test_a_file_expand_applies_to_rules_that_assign_the_role_and_name_no_growth(tmp_path: Path) -> None:
    own_growth = SHELLING.replace("  - id: shelling\n", "  - id: shelling_own\n    expand: {target: entity}\n")
    no_target = """\
  - id: bare
    event: attack
    dependency:
      - {RIGHT_ID: trigger, RIGHT_ATTRS: {LEMMA: {IN: $verbs}}}
"""
    spec = pack(
        tmp_path,
        SHELLING + own_growth + no_target,
        HEADER.replace("version: 1\n", "version: 1\nexpand: {target: conjuncts}\n"),
    )
    growth = {rule.id: rule.expansion("target") for rule in spec.rules}
    assert growth == {"shelling": "conjuncts", "shelling_own": "entity", "bare": "phrase"}
    assert dict(spec.rules[2].expand) == {}  # no R208: the file default skips rules without the role


def test_one_of_runs_the_rule_once_per_alternative(tmp_path: Path) -> None:
    rule = SHELLING.replace(
        '{LEFT_ID: trigger, REL_OP: ">", RIGHT_ID: target, RIGHT_ATTRS: {DEP: dobj}}',
        '{LEFT_ID: trigger, REL_OP: ">", RIGHT_ID: target, RIGHT_ATTRS: {DEP: dobj},'
        " ONE_OF: [{LEMMA: town}, {LEMMA: {IN: [port, depot]}}]}",
    )
    spec = pack(tmp_path, rule)
    targets = [v[-1]["RIGHT_ATTRS"] for v in spec.rules[0].variants if len(v) == 3]
    assert targets == [{"DEP": "dobj", "LEMMA": "town"}, {"DEP": "dobj", "LEMMA": {"IN": ["port", "depot"]}}]
    for noun, found in (("town", 1), ("depot", 1), ("road", 0)):
        doc = parsed(["Rebels", "shelled", "the", noun], [1, 1, 3, 1], ["nsubj", "ROOT", "det", "dobj"],
                     ["rebel", "shell", "the", noun])  # fmt: skip
        assert len(kept(spec, doc)) == found, noun
    bad = rule.replace("ONE_OF: [{LEMMA: town}, {LEMMA: {IN: [port, depot]}}]", "ONE_OF: [{LEMMA: town}]")
    assert any("ONE_OF must list two or more" in m for m in errors(tmp_path, bad))
