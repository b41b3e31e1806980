"""W106 (end-to-end tier: the real model): a rule that loses every positive example to a
higher-priority rule of the whole pack is reported; one example where it wins clears it."""

from __future__ import annotations

from pathlib import Path

from spacy.language import Language

from service.authoring.shadowing import shadowed
from service.engine.compiled import compile_rules
from service.rules.loader import load_rules

PACK = """\
version: 1
rules:
  - id: attack.shell.clause
    event: attack
    priority: 30
    dependency:
      - {RIGHT_ID: trigger, RIGHT_ATTRS: {LEMMA: shell, POS: VERB}}
      - {LEFT_ID: trigger, REL_OP: ">", RIGHT_ID: attacker, RIGHT_ATTRS: {DEP: nsubj}}
    examples:
      - {text: "Militia gunners shelled the ferry port at dawn.", expect: [{attacker: Militia gunners}]}
  - id: attack.shell.word
    event: attack
    priority: 5
    pattern:
      - {LEMMA: shell, POS: VERB, as: trigger}
    examples:
      - {text: "Militia gunners shelled the ferry port at dawn.", expect: [{trigger: shelled}]}
"""


def warnings(nlp: Language, tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "pack.yaml").write_text(text, encoding="utf-8")
    return [f"{w.rule_id} {w.message}" for w in shadowed(nlp, compile_rules(load_rules(tmp_path), nlp))]


def test_a_rule_shadowed_on_all_its_examples_is_warned(nlp: Language, tmp_path: Path) -> None:
    assert warnings(nlp, tmp_path, PACK) == [
        "attack.shell.word [W106] on every positive example the rule loses to higher-priority "
        "attack.shell.clause in the whole pack"
    ]


def test_one_example_where_the_rule_wins_clears_the_warning(nlp: Language, tmp_path: Path) -> None:
    winning = '      - {text: "The port was shelled again.", expect: [{trigger: shelled}]}\n'
    assert warnings(nlp, tmp_path, PACK + winning) == []
