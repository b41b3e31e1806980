"""Per-rule CPU time in `explain`, the `Explain` response and `sitrep explain`'s text: every
dependency rule that was tried on the text has a cost, the asked rule alone when one is named
(the real model and shipped pack; the sentence and places are invented)."""

from __future__ import annotations

import pytest
from spacy.language import Language

from service.api.explaining import answer
from service.authoring.explain import explain
from service.cli import print_explanation
from service.engine.compiled import CompiledRuleSet
from service.proto.sitrep.v1 import extraction_pb2 as pb

TEXT = "Rebels shelled the market in Varnel on Tuesday, killing four civilians and wounding nine."


def test_every_rule_that_fired_has_a_cost(nlp: Language, compiled: CompiledRuleSet) -> None:
    found = explain(nlp, compiled, TEXT)
    fired = {c.rule_id for c in found.candidates}
    assert fired, "the sentence should match some shipped rule"
    assert fired <= set(found.rule_seconds)
    assert all(seconds >= 0.0 for seconds in found.rule_seconds.values())
    assert sum(found.rule_seconds.values()) > 0.0
    known = {rule.id for rule in compiled.spec.runnable}
    assert set(found.rule_seconds) <= known


def test_one_rule_reports_only_its_own_cost(nlp: Language, compiled: CompiledRuleSet) -> None:
    rule = next(c.rule_id for c in explain(nlp, compiled, TEXT).candidates)
    assert set(explain(nlp, compiled, TEXT, rule).rule_seconds) == {rule}


def test_response_and_cli_list_costliest_first(
    nlp: Language, compiled: CompiledRuleSet, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = answer(pb.ExplainRequest(text=TEXT), nlp, compiled)
    costs = [c.cpu_seconds for c in reply.rule_costs]
    assert costs and costs == sorted(costs, reverse=True)
    assert len({c.rule_id for c in reply.rule_costs}) == len(costs)
    print_explanation(reply)
    out = capsys.readouterr().out
    assert f"over {len(costs)} rules; costliest:" in out
    assert reply.rule_costs[0].rule_id in out.split("rule CPU:")[1]
