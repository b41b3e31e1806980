"""`sitrep eval` scoring on tiny hand-made gold, through the real pipeline and a tiny rule pack.

Every expected number below is counted by hand from the texts, the gold and the pack; the pack is
private to this file so that changes to the shipped rules cannot move these figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from spacy.language import Language

from service.authoring.evaluation import main
from service.authoring.evaluation.gold import detect_mode, is_speech_cue, parse_record, read_gold
from service.authoring.evaluation.match import coverage, head_word, text_matches
from service.authoring.evaluation.report import text_report
from service.authoring.evaluation.run import PackRun, evaluate, sample

PACK = """
version: 1
rules:
  - id: t.shelled
    event: attack
    negation: keep
    phrases: [shelled, bombed]
    examples: []
  - id: t.casualty
    event: casualty
    pattern:
      - {LIKE_NUM: true, as: count}
      - {LOWER: soldiers, as: victims}
      - {LOWER: were}
      - {LOWER: {IN: [killed, injured]}, as: kind}
  - id: t.said
    event: statement
    dependency:
      - {RIGHT_ID: cue, RIGHT_ATTRS: {LEMMA: say}}
      - {LEFT_ID: cue, REL_OP: ">", RIGHT_ID: speaker, RIGHT_ATTRS: {DEP: nsubj}}
      - {LEFT_ID: cue, REL_OP: ">", RIGHT_ID: content, RIGHT_ATTRS: {DEP: ccomp}}
"""
# The baseline pack knows only the attack phrases, and only "shelled".
BASELINE = """
version: 1
rules:
  - id: t.shelled
    event: attack
    negation: keep
    phrases: [shelled]
"""

SEED_TEXT = (
    "Rebels shelled the airport. Four soldiers were injured. Troops bombed a bridge. "
    "The mayor said the road was closed. The depot was not shelled. Thousands are trapped."
)


def _at(text: str, part: str) -> dict[str, Any]:
    start = text.index(part)
    return {"evidence": part, "start": start, "end": start + len(part)}


SEED = {
    "id": "tiny-seed",
    "text": SEED_TEXT,
    "must_not_match": ["The depot was not shelled"],
    "events": [
        {"type": "attack", **_at(SEED_TEXT, "Rebels shelled the airport"), "required": True,
         "attacker": "Rebels", "target": "the airport"},
        {"type": "casualty", **_at(SEED_TEXT, "Four soldiers were injured"), "required": True,
         "kind": "injured", "count_min": 4, "count_max": 4, "victims": "Russian soldiers"},
        {"type": "attack", **_at(SEED_TEXT, "Troops bombed a bridge"), "required": False},
        {"type": "statement", **_at(SEED_TEXT, "The mayor said the road was closed"),
         "required": True, "speaker": "The mayor", "content": "the road was closed"},
        {"type": "siege", **_at(SEED_TEXT, "Thousands are trapped"), "required": True},
    ],
}  # fmt: skip

SENTENCES = [
    {"source": "wikievents_dev", "doc_id": "d", "sent_idx": 0, "granularity": "sentence",
     "text": "Rebels shelled the airport.",
     "events": [{"type": "ATTACK", "trigger": "shelled", "attacker": ["Rebels"],
                 "target": ["airport"], "weapon": None, "location": None}]},
    {"source": "wikievents_dev", "doc_id": "d", "sent_idx": 1, "granularity": "sentence",
     "text": "Troops bombed a bridge.", "events": []},
    {"source": "wikievents_dev", "doc_id": "d", "sent_idx": 2, "granularity": "sentence",
     "text": "Militants attacked a base.",
     "events": [{"type": "ATTACK", "trigger": "attacked", "attacker": ["Militants"],
                 "target": ["base"], "weapon": None, "location": None}]},
    {"source": "wikievents_dev", "doc_id": "d", "sent_idx": 3, "granularity": "sentence",
     "text": "The mayor said the road was closed.", "events": []},
]  # fmt: skip

WINDOWS = [
    {"source": "rams_dev", "doc_key": "w1", "granularity": "5-sentence window",
     "text": "Rebels shelled the airport. Nothing else happened.",
     "trigger_sentence": "Nothing else happened.",
     "events": [{"type": "ATTACK", "trigger": "happened", "attacker": [], "target": []}]},
    {"source": "rams_dev", "doc_key": "w2", "granularity": "5-sentence window",
     "text": "It was quiet. Troops bombed a bridge.", "trigger_sentence": "Troops bombed a bridge.",
     "events": [{"type": "ATTACK", "trigger": "bombed", "attacker": ["Troops"], "target": ["bridge"]}]},
]  # fmt: skip

ATTR_TEXT = "The mayor said the road was closed. Critics believe the plan failed. Taxes will rise, a report states."


def _attribution(cue: str, source: str | None, content: str) -> dict[str, Any]:
    start = ATTR_TEXT.index(content)
    raw: dict[str, Any] = {
        "Cue": [{"text": cue, "spans": [[ATTR_TEXT.index(cue), ATTR_TEXT.index(cue) + len(cue)]]}],
        "Content": [{"text": content, "spans": [[start, start + len(content)]]}],
    }
    if source:
        at = ATTR_TEXT.index(source)
        raw["Source"] = [{"text": source, "spans": [[at, at + len(source)]]}]
    return {"type": "STATEMENT", "speaker": source, "cue": cue, "quote": content,
            "direct": False, "raw": raw}  # fmt: skip


ATTRIBUTION = {
    "source": "polnear_dev", "doc_id": "p", "granularity": "document", "text": ATTR_TEXT,
    "events": [
        _attribution("said", "The mayor", "the road was closed"),
        _attribution("believe", "Critics", "the plan failed"),
        _attribution("states", "a report", "Taxes will rise"),
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("packs")
    (root / "pack").mkdir()
    (root / "pack" / "tiny.yaml").write_text(PACK, encoding="utf-8")
    (root / "base").mkdir()
    (root / "base" / "tiny.yaml").write_text(BASELINE, encoding="utf-8")
    return root / "pack", root / "base"


def _gold(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _run(nlp: Language, pack: Path, tmp_path: Path, records: list[dict[str, Any]]) -> PackRun:
    return evaluate(nlp, pack, read_gold(_gold(tmp_path, records)))


# --- pure helpers ------------------------------------------------------------------------------


def test_head_word_and_role_text_matching() -> None:
    assert head_word("the outskirts of Kyiv") == "outskirts"
    assert head_word("a besieged city in northern Ukraine") == "city"
    assert head_word("Ukraine and its Western allies") == "Ukraine"
    assert head_word("Chernihiv’s Mayor Vladyslav Astroshenko") == "Astroshenko"
    assert text_matches("Russian soldiers", "four Russian soldiers")
    assert text_matches("the outskirts of Kyiv", "Russian") is False
    assert text_matches("Russian forces", "Russian")  # the gold text contains the prediction
    assert not text_matches("he", "the mayor")  # whole words only


def test_coverage_and_speech_cues() -> None:
    assert coverage((0, 10), ((0, 20),)) == 0.5
    assert coverage((5, 15), ((0, 10), (10, 20))) == 0.5
    assert coverage((0, 3), ()) == 0.0
    assert is_speech_cue("has said") and is_speech_cue("according to") and is_speech_cue("told")
    assert not is_speech_cue("believes") and not is_speech_cue("wants")


def test_formats_are_recognised_per_record() -> None:
    assert detect_mode(SEED) == "seed"
    assert detect_mode(SENTENCES[0]) == "sentence"
    assert detect_mode(WINDOWS[0]) == "window"
    assert detect_mode(ATTRIBUTION) == "attribution"
    window = parse_record(WINDOWS[1], "x")
    assert window.text[window.unit[0] : window.unit[1]] == "Troops bombed a bridge."
    doc = parse_record(ATTRIBUTION, "x")
    assert [e.speech for e in doc.events] == [True, False, True]
    assert doc.events[0].speaker_spans == ((0, 9),)


def test_sample_is_even_and_deterministic() -> None:
    docs = [parse_record({**SENTENCES[0], "sent_idx": i}, "x") for i in range(10)]
    assert [d.id for d in sample(docs, 5)] == ["d#0", "d#2", "d#4", "d#6", "d#8"]
    assert sample(docs, None) == docs


# --- scoring through the real pipeline ----------------------------------------------------------


def test_seed_mode(nlp: Language, packs: tuple[Path, Path], tmp_path: Path) -> None:
    card = _run(nlp, packs[0], tmp_path, [SEED]).card
    attack, casualty = card.types["attack"], card.types["casualty"]
    statement, siege = card.types["statement"], card.types["siege"]
    # attacks: "shelled" (TP, required gold), "bombed" (debatable gold: ignored), "not shelled"
    # (negation kept by this pack, inside must_not_match: FP and a violation)
    assert (attack.tp, attack.fp, attack.ignored, attack.gold, attack.found) == (1, 1, 1, 1, 1)
    assert attack.precision == 0.5 and attack.recall == 1.0
    assert (casualty.tp, casualty.fp, casualty.gold, casualty.found) == (1, 0, 1, 1)
    assert (statement.tp, statement.fp, statement.gold, statement.found) == (1, 0, 1, 1)
    assert (siege.gold, siege.found, siege.tp, siege.fp) == (1, 0, 0, 0)
    assert siege.recall == 0.0 and siege.precision is None and siege.f1 is None
    assert [v.rule for v in card.violations] == ["t.shelled"]
    # roles of the paired events: count, kind and victims (head word "soldiers") are right
    assert card.roles["casualty.count"].found == 1
    assert card.roles["casualty.kind"].found == 1
    assert card.roles["casualty.victims"].found == 1
    assert card.roles["statement.speaker"].found == 1
    assert card.roles["statement.content"].found == 1
    assert card.roles["attack.attacker"].gold == 1 and card.roles["attack.attacker"].found == 0
    # per rule
    assert (card.rules["t.shelled"].tp, card.rules["t.shelled"].fp) == (1, 1)
    assert card.rules["t.shelled"].ignored == 1


def test_sentence_mode(nlp: Language, packs: tuple[Path, Path], tmp_path: Path) -> None:
    card = _run(nlp, packs[0], tmp_path, SENTENCES).card
    attack = card.types["attack"]
    # sentence 0: TP; sentence 1: bombed with no gold ATTACK, a true negative → FP;
    # sentence 2: "attacked" is not in the pack → miss; sentence 3: a statement, which a
    # sentence without STATEMENT gold does not count against (ignored).
    assert (attack.tp, attack.fp, attack.gold, attack.found) == (1, 1, 2, 1)
    assert attack.precision == 0.5 and attack.recall == 0.5 and attack.f1 == 0.5
    assert card.types["statement"].ignored == 1 and card.types["statement"].fp == 0
    assert [m.doc for m in card.misses] == ["d#2"]


def test_window_mode_is_recall_only(nlp: Language, packs: tuple[Path, Path], tmp_path: Path) -> None:
    card = _run(nlp, packs[0], tmp_path, WINDOWS).card
    attack = card.types["attack"]
    # w1: the only prediction lies outside the trigger sentence → miss; w2: found.
    assert (attack.gold, attack.found, attack.tp, attack.fp, attack.ignored) == (2, 1, 0, 0, 2)
    assert attack.recall == 0.5 and attack.precision is None


def test_attribution_mode(nlp: Language, packs: tuple[Path, Path], tmp_path: Path) -> None:
    card = _run(nlp, packs[0], tmp_path, [ATTRIBUTION]).card
    statement = card.types["statement"]
    # speech gold: "said" (found, content fully covered) and "states" (no rule for "state");
    # "believe" is not a speech cue and is not counted.
    assert (statement.gold, statement.found, statement.tp, statement.fp) == (2, 1, 1, 0)
    assert statement.recall == 0.5 and statement.precision == 1.0
    assert card.roles["statement.speaker"].found == 1  # speaker span overlaps "The mayor"


def test_main_prints_report_and_baseline_difference(
    nlp: Language, packs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = _gold(tmp_path, SENTENCES)
    assert main(gold, packs[0], packs[1], nlp=nlp) == 0
    out = capsys.readouterr().out
    assert "difference:" in out and "t.said" in out
    # the baseline misses "bombed": one FP fewer on ATTACK, same recall
    assert main(gold, packs[0], packs[1], as_json=True, nlp=nlp) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pack"]["types"]["attack"]["fp"] == 1
    assert report["baseline"]["types"]["attack"]["fp"] == 0
    assert report["baseline"]["types"]["attack"]["found"] == report["pack"]["types"]["attack"]["found"]
    assert report["pack"]["rules_breakdown"]["t.shelled"]["tp"] == 1


def test_main_reports_unreadable_input(nlp: Language, packs: tuple[Path, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no events key or format"}\n', encoding="utf-8")
    assert main(bad, packs[0], None, nlp=nlp) == 2
    assert main(tmp_path / "missing.jsonl", packs[0], None, nlp=nlp) == 2
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.yaml").write_text("version: 1\nrules: [{id: x, event: nope}]\n", encoding="utf-8")
    assert main(_gold(tmp_path, SENTENCES), broken, None, nlp=nlp) == 2


def test_sitrep_eval_passes_json_limit_and_show_through(
    packs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import service.authoring.evaluation
    from service.authoring.evaluation.doccache import default_dir
    from service.cli import main as sitrep

    seen: dict[str, Any] = {}

    def fake_main(gold: Path, rules: Path, baseline: Path | None, model: str, **kwargs: Any) -> int:
        seen.update(gold=gold, rules=rules, baseline=baseline, model=model, **kwargs)
        return 0

    monkeypatch.setattr(service.authoring.evaluation, "main", fake_main)
    gold = _gold(tmp_path, SENTENCES)
    argv = [
        "eval",
        str(gold),
        "--rules",
        str(packs[0]),
        "--baseline",
        str(packs[1]),
        "--json",
        "--limit",
        "3",
        "--show",
        "7",
    ]
    assert sitrep(argv) == 0
    assert seen == {"gold": gold, "rules": packs[0], "baseline": packs[1], "model": seen["model"],
                    "as_json": True, "limit": 3, "show": 7, "doc_cache": default_dir(), "dump": None}  # fmt: skip
    assert sitrep(["eval", str(gold), "--rules", str(packs[0]), "--no-doc-cache", "--dump", "out.jsonl"]) == 0
    assert (seen["baseline"], seen["as_json"], seen["limit"], seen["show"]) == (None, False, None, 0)
    assert seen["doc_cache"] is None and seen["dump"] == Path("out.jsonl")


def test_sitrep_eval_json_and_limit_end_to_end(
    packs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.cli import main as sitrep

    gold = _gold(tmp_path, SENTENCES)
    assert sitrep(["eval", str(gold), "--rules", str(packs[0]), "--json", "--limit", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pack"]["units"] == 2  # an even sample: sentences 0 and 2
    assert sitrep(["eval", str(gold), "--rules", str(packs[0]), "--show", "5"]) == 0
    out = capsys.readouterr().out
    assert "misses (first 5 of 1):" in out and "false positives (first 5 of 1):" in out


def test_dump_writes_every_event_with_its_unit(
    nlp: Language, packs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = _gold(tmp_path, SENTENCES)
    dump = tmp_path / "events.jsonl"
    assert main(gold, packs[0], None, nlp=nlp, dump=dump) == 0
    records = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]
    run = _run(nlp, packs[0], tmp_path, SENTENCES)
    assert len(records) == sum(len(found) for found in run.events) > 0
    first = records[0]
    assert {"unit", "id", "type", "rule", "start", "end", "text", "roles", "attributes"} <= set(first)
    text = SENTENCES[first["unit"]]["text"]
    assert text[first["start"] : first["end"]] == first["text"]  # offsets into the unit's own text
    assert f"{len(records)} events written" in capsys.readouterr().err
    assert main(gold, packs[0], None, nlp=nlp, dump=tmp_path / "no" / "such" / "dir.jsonl") == 2


def test_halves_split_by_record_order(nlp: Language, packs: tuple[Path, Path], tmp_path: Path) -> None:
    again = {**SENTENCES[0], "sent_idx": 4}
    run = _run(nlp, packs[0], tmp_path, [SENTENCES[0], SENTENCES[2], again, SENTENCES[3]])
    first, second = run.halves
    # first half: a TP and a miss (F1 0.667); second half: a TP and a statement (F1 1.0)
    assert (first.types["attack"].tp, first.types["attack"].gold, first.types["attack"].f1) == (
        1,
        2,
        pytest.approx(2 / 3),
    )
    assert (second.types["attack"].tp, second.types["attack"].gold, second.types["attack"].f1) == (1, 1, 1.0)
    assert first.types["attack"].tp + second.types["attack"].tp == run.card.types["attack"].tp
    assert "gap > 0.05" in text_report(run)
    same = _run(nlp, packs[0], tmp_path, [SENTENCES[0], SENTENCES[3], again, SENTENCES[3]])
    assert "halves" in text_report(same) and "gap > 0.05" not in text_report(same)
