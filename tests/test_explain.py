"""Explain: near misses on each kind of failed constraint (attribute, dependency relation,
operator, missing token), candidate fates, draft packs, and the `Explain` RPC and `sitrep explain`
against a real server (the real model throughout; sentences and places are invented)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from spacy.language import Language

from service.authoring.draft import DRAFT_FILE, load_draft
from service.authoring.examples import over_budget
from service.authoring.explain import explain
from service.authoring.nearmiss import NearMiss
from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.pipeline import model_components
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from service.rules.errors import RuleSetError
from service.rules.loader import MAX_FILE_BYTES, Snapshot, load_snapshot
from tests.server import BASIC_RULES, ROOT, RunningServer, run_server

NEAR_MISS_RULES = """version: 1
rules:
  - id: t.attribute
    event: casualty
    dependency:
      - {RIGHT_ID: kind, RIGHT_ATTRS: {LEMMA: injure}}
      - {LEFT_ID: kind, REL_OP: ">", RIGHT_ID: victims, RIGHT_ATTRS: {DEP: nsubjpass, LEMMA: civilian}}
  - id: t.dependency
    event: casualty
    dependency:
      - {RIGHT_ID: kind, RIGHT_ATTRS: {LEMMA: injure}}
      - {LEFT_ID: kind, REL_OP: ">", RIGHT_ID: victims, RIGHT_ATTRS: {DEP: dobj}}
  - id: t.operator
    event: attack
    dependency:
      - {RIGHT_ID: trigger, RIGHT_ATTRS: {LEMMA: shell}}
      - {LEFT_ID: trigger, REL_OP: ">", RIGHT_ID: location, RIGHT_ATTRS: {LOWER: varnel}}
  - id: t.missing_head
    event: attack
    dependency:
      - {RIGHT_ID: trigger, RIGHT_ATTRS: {LEMMA: shell}}
      - {LEFT_ID: trigger, REL_OP: "<", RIGHT_ID: _say, RIGHT_ATTRS: {LEMMA: say}}
  - id: t.token_attribute
    event: casualty
    pattern:
      - {LIKE_NUM: true, as: count}
      - {LEMMA: civilian, as: victims}
  - id: t.text_ends
    event: attack
    pattern:
      - {LEMMA: shell, as: trigger}
      - {LOWER: overnight}
  - id: t.phrase
    event: attack
    phrases: [car bomb, truck bomb]
"""


def compiled_pack(nlp: Language, text: str) -> CompiledRuleSet:
    spec = load_snapshot(Snapshot("", (("t.yaml", text.encode()),)), model_components(nlp))
    return compile_rules(spec, nlp)


@pytest.fixture(scope="module")
def near_pack(nlp: Language) -> CompiledRuleSet:
    return compiled_pack(nlp, NEAR_MISS_RULES)


def miss(nlp: Language, compiled: CompiledRuleSet, text: str, rule: str) -> NearMiss:
    found = explain(nlp, compiled, text, rule)
    assert found.candidates == [], found.candidates
    [only] = found.near_misses
    assert only.rule_id == rule
    return only


def test_attribute_near_miss_names_the_attribute_and_the_token(nlp: Language, near_pack: CompiledRuleSet) -> None:
    text = "Three soldiers were injured near Dovrik."
    found = miss(nlp, near_pack, text, "t.attribute")
    assert (found.kind, found.node, found.node_index) == ("attribute", "victims", 1)
    assert (found.constraint, found.found) == ("LEMMA civilian", "soldier")
    assert found.message == "node victims: LEMMA civilian expected, soldier found on 'soldiers'"
    assert found.token == 1 and found.matched == (3,)  # 'injured' matched the first node


def test_dependency_near_miss_is_the_issue_example(nlp: Language, near_pack: CompiledRuleSet) -> None:
    found = miss(nlp, near_pack, "Three soldiers were injured near Dovrik.", "t.dependency")
    assert (found.kind, found.constraint, found.found) == ("dependency", "DEP dobj", "nsubjpass")
    assert found.message == "node victims: DEP dobj expected, nsubjpass found on 'soldiers'"


def test_operator_near_miss_names_the_relation_that_holds(nlp: Language, near_pack: CompiledRuleSet) -> None:
    found = miss(nlp, near_pack, "Rebels shelled the depot in Varnel overnight.", "t.operator")
    assert (found.kind, found.node, found.constraint, found.found) == ("operator", "location", "REL_OP >", ">> trigger")
    assert found.message == "node location: 'Varnel' fits the node but is not > trigger 'shelled' (it is >> trigger)"
    # with the relation the author meant, the same rule fires
    fixed = NEAR_MISS_RULES.replace('REL_OP: ">", RIGHT_ID: location', 'REL_OP: ">>", RIGHT_ID: location')
    fired = explain(nlp, compiled_pack(nlp, fixed), "Rebels shelled the depot in Varnel overnight.", "t.operator")
    assert [c.rule_id for c in fired.candidates] == ["t.operator"] and fired.near_misses == []


def test_missing_token_near_misses(nlp: Language, near_pack: CompiledRuleSet) -> None:
    head = miss(nlp, near_pack, "Rebels shelled the depot.", "t.missing_head")
    assert (head.kind, head.constraint, head.token) == ("missing", "REL_OP <", None)
    assert head.message == "node _say: no token is < trigger 'shelled'"
    ends = miss(nlp, near_pack, "At dawn the rebels shelled", "t.text_ends")
    assert (ends.kind, ends.node, ends.node_index, ends.matched) == ("missing", "token 2", 1, (4,))
    assert ends.message == "node token 2: the text ends before it"
    nowhere = miss(nlp, near_pack, "The talks ended without agreement.", "t.text_ends")
    assert (nowhere.kind, nowhere.node_index) == ("missing", 0)
    assert nowhere.message == "node trigger: no token has LEMMA shell"
    phrase = miss(nlp, near_pack, "A loud noise was heard.", "t.phrase")
    assert (phrase.kind, phrase.message) == ("missing", "none of the rule's 2 phrases occurs (LOWER)")


def test_token_pattern_attribute_near_miss(nlp: Language, near_pack: CompiledRuleSet) -> None:
    found = miss(nlp, near_pack, "Two soldiers died in Pellar.", "t.token_attribute")
    assert (found.kind, found.node, found.matched, found.token) == ("attribute", "victims", (0,), 1)
    assert found.message == "node victims: LEMMA civilian expected, soldier found on 'soldiers'"


def test_rules_that_fire_have_no_near_miss(nlp: Language, near_pack: CompiledRuleSet) -> None:
    found = explain(nlp, near_pack, "Two civilians were injured after rebels shelled Varnel.")
    fired = {c.rule_id for c in found.candidates}
    assert {"t.token_attribute", "t.attribute", "t.operator"} <= fired
    assert fired.isdisjoint(m.rule_id for m in found.near_misses)
    assert {m.rule_id for m in found.near_misses} | fired == {r.id for r in near_pack.spec.runnable}


FATE_RULES = """version: 1
rules:
  - id: f.low
    event: casualty
    pattern: [{LEMMA: injure, as: kind}]
  - id: f.high
    event: casualty
    priority: 10
    pattern:
      - {LIKE_NUM: true, as: count}
      - {LEMMA: soldier, as: victims}
      - {LEMMA: be}
      - {LEMMA: injure, as: kind}
  - id: f.shadow
    event: casualty
    status: shadow
    pattern: [{LEMMA: soldier, as: victims}, {LEMMA: be}, {LEMMA: injure, as: kind}]
"""


def test_every_candidate_has_its_fate(nlp: Language) -> None:
    compiled = compiled_pack(nlp, FATE_RULES)
    found = explain(nlp, compiled, "Two soldiers were injured at the Omsel checkpoint.")
    fates = {c.rule_id: (c.fate, c.winner, c.reason) for c in found.candidates}
    assert fates == {
        "f.low": ("lost", "f.high", "lower priority (0 < 10)"),
        "f.high": ("kept", "", ""),
        "f.shadow": ("shadow", "", ""),
    }
    high = next(c for c in found.candidates if c.rule_id == "f.high")
    assert {(r.role, r.text) for r in high.roles} == {("count", "Two"), ("victims", "soldiers"), ("kind", "injured")}
    assert [e.rule_id for e in found.result.events] == ["f.high"]
    negated = explain(nlp, compiled, "Two soldiers were not injured at the checkpoint.")
    assert {c.rule_id: c.fate for c in negated.candidates}["f.low"] == "negated"
    assert negated.result.events == []


DRAFT = """version: 1
lexicons:
  harm: [injure, wound]
rules:
  - id: d.harmed
    event: casualty
    pattern: [{LEMMA: {IN: $harm}, as: kind}]
    examples:
      - text: Several guards were wounded.
        expect: [{kind: INJURED}]
      - text: The guards rested.
        expect: [{kind: INJURED}]
"""


def test_a_draft_is_validated_compiled_and_its_examples_reported(nlp: Language) -> None:
    draft = load_draft(nlp, DRAFT)
    assert [(r.rule.id, r.example.line, r.passed) for r in draft.examples] == [("d.harmed", 9, True),
                                                                               ("d.harmed", 11, False)]  # fmt: skip
    assert draft.examples[1].problem == "no event produced"
    found = explain(nlp, draft.compiled, "A medic was injured in Kossa.")
    assert [c.rule_id for c in found.candidates] == ["d.harmed"]


def test_a_draft_is_refused_like_a_reload(nlp: Language) -> None:
    with pytest.raises(RuleSetError) as bad_yaml:
        load_draft(nlp, "version: 1\nrules: [")
    assert str(bad_yaml.value).startswith(f"{DRAFT_FILE}:") and "[R101]" in str(bad_yaml.value)
    with pytest.raises(RuleSetError) as unknown:
        load_draft(nlp, DRAFT.replace("$harm", "$hurt"))
    assert "[R202] unknown lexicon $hurt" in str(unknown.value)
    with pytest.raises(RuleSetError) as big:
        load_draft(nlp, "#" * (MAX_FILE_BYTES + 1))
    assert "[R106]" in str(big.value)
    with pytest.raises(RuleSetError) as alias:
        load_draft(nlp, "version: 1\nlexicons: {a: &x [one], b: *x}\n")
    assert "[R107]" in str(alias.value)


def test_slow_examples_are_over_budget(nlp: Language) -> None:
    results = load_draft(nlp, DRAFT).examples
    assert [e.message for e in over_budget(results, budget=0.0)] == [
        f"[R402] examples took {results[0].seconds:.1f}s, over the budget of 0.0s per rule"
    ]
    assert over_budget(results) == []


# -- through a real server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[RunningServer, Path]]:
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules"
        rules.mkdir()
        (rules / "basic.yaml").write_text(BASIC_RULES, encoding="utf-8")
        with run_server(rules, "--admin-token", "t0ken", log_dir=Path(tmp)) as running:
            yield running, rules


def test_explain_rpc_in_utf16_offsets(server: tuple[RunningServer, Path]) -> None:
    running, _ = server
    text = "🙂 Four Russian soldiers were injured near Dovrik."
    with running.channel() as channel:
        reply = pbg.ExtractionServiceStub(channel).Explain(
            pb.ExplainRequest(text=text, offset_encoding=pb.OFFSET_ENCODING_UTF16)
        )
    units = text.encode("utf-16-le")

    def sliced(span: pb.Span) -> str:
        return units[span.start * 2 : span.end * 2].decode("utf-16-le")

    [candidate] = reply.candidates
    assert (candidate.rule_id, candidate.fate) == ("casualty.count_passive", pb.CANDIDATE_FATE_KEPT)
    assert {r.role: sliced(r.span) for r in candidate.roles} == {
        "count": "Four", "victims": "Russian soldiers", "kind": "injured"
    }  # fmt: skip
    assert [sliced(t.span) for t in reply.tokens][:3] == ["🙂", "Four", "Russian"]
    assert [e.rule_id for e in reply.events] == ["casualty.count_passive"] and not reply.draft
    [near] = reply.near_misses
    assert near.rule_id == "attack.subject_verb_object" and near.kind == pb.NEAR_MISS_KIND_MISSING_TOKEN


def test_explain_rpc_errors(server: tuple[RunningServer, Path]) -> None:
    running, _ = server
    token = (("authorization", "Bearer t0ken"),)
    with running.channel() as channel:
        stub = pbg.ExtractionServiceStub(channel)
        version = stub.GetRuleSet(pb.GetRuleSetRequest()).version
        cases = [
            (pb.ExplainRequest(text=""), (), grpc.StatusCode.INVALID_ARGUMENT, "[S101]"),
            (pb.ExplainRequest(text="x", rule_id="no.such"), (), grpc.StatusCode.INVALID_ARGUMENT, "[S109]"),
            (pb.ExplainRequest(text="x", offset_encoding=9), (), grpc.StatusCode.INVALID_ARGUMENT, "[S105]"),
            (pb.ExplainRequest(text="x", draft_yaml=DRAFT), token, grpc.StatusCode.PERMISSION_DENIED, "[S209]"),
        ]
        for request, metadata, code, message in cases:
            with pytest.raises(grpc.RpcError) as failed:
                stub.Explain(request, metadata=metadata)
            assert (failed.value.code(), failed.value.details()[:6]) == (code, message)
        assert stub.GetRuleSet(pb.GetRuleSetRequest()).version == version


def test_cli_explains_through_the_server_as_it_does_locally(server: tuple[RunningServer, Path]) -> None:
    running, rules = server
    text = "Two civilians were killed when rebels shelled Varnel."
    cli = [sys.executable, "-m", "service.cli", "explain", "--json", text]
    remote = subprocess.run([*cli, "--server", running.target], capture_output=True, text=True, cwd=ROOT, timeout=120)
    local = subprocess.run([*cli, "--rules", str(rules)], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert remote.returncode == 0 and local.returncode == 0, remote.stderr + local.stderr
    reply, same = json.loads(remote.stdout), json.loads(local.stdout)
    costs = [{c["rule_id"] for c in r.pop("rule_costs")} for r in (reply, same)]  # CPU times differ
    assert reply == same and costs[0] == costs[1]
    assert {c["rule_id"] for c in reply["candidates"]} == {"attack.subject_verb_object", "casualty.count_passive"}
    draft = rules.parent / "draft.yaml"
    draft.write_text(DRAFT, encoding="utf-8")
    tried = subprocess.run([*cli[:4], "A medic was injured in Kossa.", "--draft", str(draft)],
                           capture_output=True, text=True, cwd=ROOT, timeout=180)  # fmt: skip
    assert tried.returncode == 0, tried.stderr
    assert "examples: 1 passed, 1 failed" in tried.stdout and "d.harmed (casualty): 'injured'  [kept]" in tried.stdout
    printed = subprocess.run([*cli[:4], text, "--server", running.target, "--rule", "nope"],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert printed.returncode == 1 and "INVALID_ARGUMENT: [S109] unknown rule id 'nope'" in printed.stderr
