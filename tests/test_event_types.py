"""Event types declared in YAML, without the model or a server: declaration and its errors, the
rules that use a declared type, conversion to `CustomEvent`, the label filter, and scoring gold
that uses the label."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from service.api.convert import to_response
from service.api.errors import RequestError
from service.api.validation import Job, with_rule_set
from service.authoring.evaluation.gold import parse_record
from service.authoring.evaluation.match import Scorecard, score_doc
from service.events.model import Event, Mention, Quantity
from service.events.registry import BUILTIN, all_types
from service.observability.metrics import Metrics
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.reload.manager import ReloadOutcome
from service.rules.loader import load_rules
from service.rules.schema import RuleSetSpec
from tests.test_rule_validation import errors_of

DISPLACEMENT = """\
version: 1
event_types:
  - name: displacement
    roles: [displaced, origin]
rules:
  - id: displacement.fled
    event: displacement
    pattern:
      - {POS: NOUN, as: displaced}
      - {LEMMA: flee}
      - {LOWER: from}
      - {POS: PROPN, as: origin}
"""

RICHER = """\
version: 1
event_types:
  - name: evacuation
    description: People moved out of harm's way by an authority.
    roles: [evacuated, agent]
    quantity_roles: [evacuees]
    attributes: {mode: [ORDERED, VOLUNTARY]}
rules:
  - id: evacuation.ordered
    event: evacuation
    attributes: {mode: ORDERED}
    pattern:
      - {LIKE_NUM: true, as: evacuees}
      - {POS: NOUN, as: evacuated}
      - {LOWER: were}
      - {LOWER: evacuated}
"""


def test_the_minimal_declaration_gives_a_type_rules_can_use(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DISPLACEMENT)
    spec = load_rules(tmp_path)
    [declared] = spec.event_types
    assert (declared.name, declared.roles, declared.builtin) == ("displacement", ("displaced", "origin"), False)
    assert list(spec.types) == [*BUILTIN, "displacement"]
    assert spec.rules[0].event == "displacement"


def test_a_declaration_in_one_file_serves_the_rules_of_another(tmp_path: Path) -> None:
    head, rules = DISPLACEMENT.split("rules:\n")
    (tmp_path / "a_types.yaml").write_text(head)
    (tmp_path / "b_rules.yaml").write_text("version: 1\nrules:\n" + rules)
    assert [r.event for r in load_rules(tmp_path).rules] == ["displacement"]


def test_quantity_roles_and_attributes(tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text(RICHER)
    spec = load_rules(tmp_path)
    [rule] = spec.rules
    assert rule.quantity_roles == frozenset({"evacuees"})
    assert rule.expansion("evacuees") == "quantity" and rule.expansion("evacuated") == "phrase"
    assert rule.attributes == (("mode", "ORDERED"),)
    assert spec.event_types[0].attribute("mode") is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DISPLACEMENT.replace("event: displacement", "event: displacemnt"), "[R112] unknown event type 'displacemnt'"),
        (DISPLACEMENT.replace("name: displacement", "name: attack"), "[R113] event type 'attack' is already defined"),
        (DISPLACEMENT.replace("[displaced, origin]", "[displaced, displaced]"), "[R114] event type 'displacement'"),
        (DISPLACEMENT.replace("[displaced, origin]", "[displaced, Origin]"), "[R114] event type 'displacement'"),
        (DISPLACEMENT.replace("as: origin", "as: destination"), "[R203] unknown role 'destination'"),
        (DISPLACEMENT.replace("name: displacement", "name: Displacement"), "[R103] event_types.0.name"),
        (RICHER.replace("{mode: ORDERED}", "{mode: FORCED}"), "[R210] attribute 'mode' of event type evacuation"),
        (RICHER.replace("{mode: ORDERED}", "{speed: FAST}"), "[R210] attribute 'speed' of event type evacuation"),
        (RICHER.replace("[ORDERED, VOLUNTARY]", "[ordered]"), "[R114] event type 'evacuation'"),
        (
            DISPLACEMENT.replace("event: displacement", "event: casualty\n    attributes: {kind: KILLED}"),
            "[R210] attribute 'kind' of event type casualty: built-in types set their attributes themselves",
        ),
    ],
)
def test_declaration_errors(tmp_path: Path, text: str, expected: str) -> None:
    found = errors_of(tmp_path, text)
    assert any(expected in line for line in found), found


def test_a_type_declared_twice_names_the_first(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(DISPLACEMENT)
    found = errors_of(tmp_path, DISPLACEMENT.split("rules:")[0], name="b.yaml")
    assert found == [f"b.yaml:3:5: [R113] event type 'displacement' is already defined (at {tmp_path}/a.yaml:3)"]


def _event(kind: str, **roles: tuple[int, int]) -> Event:
    text = "Farmers fled from Tovia with 300 others."
    return Event(
        type=kind, rule_id="r", start=0, end=len(text), text=text, sentence_index=0, confidence=0.8,
        roles={role: Mention(text[s:e], s, e) for role, (s, e) in roles.items()},
    )  # fmt: skip


def test_declared_events_convert_to_custom_with_label_roles_quantities_attributes() -> None:
    text = "Farmers fled from Tovia with 300 others."
    event = _event("displacement", displaced=(0, 7), origin=(18, 23))
    event.quantities["count"] = Quantity(300, 300, "EXACT", "300", 29, 32)
    event.attrs["mode"] = "FORCED"
    [out] = to_response("d", text, [event], pb.OFFSET_ENCODING_UTF16, "v").events
    assert out.type == pb.EVENT_TYPE_CUSTOM and out.WhichOneof("detail") == "custom"
    assert out.custom.label == "displacement"
    assert {role: m.text for role, m in out.custom.roles.items()} == {"displaced": "Farmers", "origin": "Tovia"}
    assert out.custom.roles["origin"].span == pb.Span(start=18, end=23)
    assert out.custom.quantities["count"].min == 300
    assert dict(out.custom.attributes) == {"mode": "FORCED"}


def test_builtin_events_still_fill_their_typed_message() -> None:
    text = "Farmers fled from Tovia with 300 others."
    event = _event("attack", attacker=(0, 7), target=(18, 23))
    [out] = to_response("d", text, [event], pb.OFFSET_ENCODING_CODE_POINT, "v").events
    assert out.type == pb.EVENT_TYPE_ATTACK and out.WhichOneof("detail") == "attack"
    assert (out.attack.attacker.text, out.attack.target.text) == ("Farmers", "Tovia")


def _job(types: frozenset[str] | None = None, labels: tuple[str, ...] = (), custom: bool = False) -> Job:
    return Job(("d",), ("text",), types, pb.OFFSET_ENCODING_CODE_POINT, labels=labels, custom=custom)


def test_label_filter_against_the_serving_types(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DISPLACEMENT)
    known = load_rules(tmp_path).types
    assert with_rule_set(_job(), known).types is None
    assert with_rule_set(_job(labels=("displacement",)), known).types == {"displacement"}
    assert with_rule_set(_job(frozenset({"attack"}), ("displacement",)), known).types == {"attack", "displacement"}
    assert with_rule_set(_job(labels=("siege",)), known).types == {"siege"}
    assert with_rule_set(_job(custom=True), known).types == {"displacement"}
    assert with_rule_set(_job(custom=True), all_types()).types == frozenset()
    with pytest.raises(RequestError) as info:
        with_rule_set(_job(labels=("siege", "flood")), known)
    [violation] = info.value.violations
    assert violation.field == "event_labels[1]"
    assert violation.description.startswith("[S108] unknown event label 'flood'")


def test_eval_scores_gold_that_uses_a_declared_label(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DISPLACEMENT)
    types = load_rules(tmp_path).types
    text = "Farmers fled from Tovia with 300 others."
    record = {
        "id": "x", "text": text,
        "events": [{"type": "DISPLACEMENT", "evidence": text, "start": 0, "end": 23,
                    "displaced": "Farmers", "origin": "the village of Tovia"}],
    }  # fmt: skip
    gold = parse_record(record, "x")
    assert gold.events[0].type == "displacement"
    card = Scorecard()
    score_doc(card, gold, [_event("displacement", displaced=(0, 7), origin=(18, 23))], types)
    counts = card.types["displacement"]
    assert (counts.gold, counts.found, counts.tp, counts.fp) == (1, 1, 1, 0)
    assert (card.roles["displacement.displaced"].found, card.roles["displacement.origin"].found) == (1, 1)
    wrong = Scorecard()
    score_doc(wrong, gold, [_event("displacement", displaced=(18, 23), origin=(0, 7))], types)
    assert wrong.roles["displacement.origin"].found == 0 and wrong.types["displacement"].tp == 1
    missed = Scorecard()
    score_doc(missed, gold, [_event("attack", attacker=(0, 7))], types)
    assert (missed.types["displacement"].found, missed.types["attack"].fp) == (0, 1)


def test_events_emitted_series_follow_the_declared_types(tmp_path: Path) -> None:
    """Each reload creates a zero series for every declared type and drops those no longer declared."""
    (tmp_path / "d.yaml").write_text(DISPLACEMENT)
    declaring = load_rules(tmp_path)
    (tmp_path / "d.yaml").write_text("version: 1\n")
    plain = load_rules(tmp_path)
    metrics = Metrics()

    def series() -> set[str]:
        samples = metrics.registry.get_sample_value
        names = [*BUILTIN, "displacement"]
        return {n for n in names if samples("sitrep_events_emitted_total", {"event_type": n}) is not None}

    def reload(spec: RuleSetSpec) -> None:
        published = SimpleNamespace(compiled=SimpleNamespace(spec=spec), version=spec.version)
        metrics.on_reload(ReloadOutcome(True, 0.0, spec.version), published)  # type: ignore[arg-type]

    assert series() == set(BUILTIN)
    reload(declaring)
    assert series() == {*BUILTIN, "displacement"}
    reload(plain)
    assert series() == set(BUILTIN)
