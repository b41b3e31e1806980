"""Per-rule CPU time: only the rules tried on a document are charged, and the metric adds it up."""

from __future__ import annotations

from service.config import Settings
from service.engine.compiled import compile_rules
from service.engine.extractor import extract
from service.engine.pipeline import load_pipeline, model_components
from service.observability.metrics import Metrics
from service.rules.loader import load_rules
from tests.server import ROOT


def test_rule_seconds_charge_the_rules_tried_and_reach_the_metric() -> None:
    nlp = load_pipeline(Settings().model)
    compiled = compile_rules(load_rules(ROOT / "tests" / "data" / "rules", model_components(nlp)), nlp)
    text = "Militia fighters shelled the depot at Harrowgate. Four civilians were injured."
    result = extract(nlp, compiled, [text, "The weather in Lindqvist was mild."])
    assert set(result.rule_seconds) == {"attack.subject_verb_object", "casualty.count_passive"}
    assert all(seconds > 0 for seconds in result.rule_seconds.values())
    quiet = extract(nlp, compiled, ["The weather in Lindqvist was mild."])
    assert quiet.rule_seconds == {}  # no anchor of any rule occurs: nothing tried, nothing charged

    metrics = Metrics()
    metrics.record_batch(result, [text, "The weather in Lindqvist was mild."], {})
    metrics.record_batch(result, [text, "The weather in Lindqvist was mild."], {})
    value = metrics.registry.get_sample_value(
        "sitrep_rule_cpu_seconds_total", {"rule_id": "attack.subject_verb_object"}
    )
    assert value == 2 * result.rule_seconds["attack.subject_verb_object"]
