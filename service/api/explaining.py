"""The `Explain` RPC's work: validate, explain with the serving rules or a draft pack, convert.

It runs in the front process on the rule-set manager's pipeline, held against reloads (the
explanation needs the Doc itself, which workers never return). A draft is loaded, validated,
cost-bounded and proven by `service.authoring.draft` and lives only for this call; the serving
rule set is only read.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from spacy.language import Language

from service.api import validation
from service.api.convert import to_event
from service.api.errors import Violation, invalid
from service.api.offsets import OffsetConverter
from service.authoring.draft import Draft, load_draft
from service.authoring.examples import ExampleResult
from service.authoring.explain import Explanation, explain
from service.authoring.nearmiss import NearMiss
from service.engine.compiled import CompiledRuleSet
from service.errors import E
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.reload.manager import RuleSetManager
from service.rules.errors import RuleSetError

FATES = {
    "kept": pb.CANDIDATE_FATE_KEPT, "lost": pb.CANDIDATE_FATE_LOST, "negated": pb.CANDIDATE_FATE_NEGATED,
    "shadow": pb.CANDIDATE_FATE_SHADOW, "veto": pb.CANDIDATE_FATE_VETO,
}  # fmt: skip
KINDS = {
    "attribute": pb.NEAR_MISS_KIND_ATTRIBUTE, "dependency": pb.NEAR_MISS_KIND_DEPENDENCY,
    "operator": pb.NEAR_MISS_KIND_OPERATOR, "missing": pb.NEAR_MISS_KIND_MISSING_TOKEN,
}  # fmt: skip


def validate(request: pb.ExplainRequest, limits: validation.Limits) -> None:
    """The text obeys Extract's limits; the encoding is known."""
    out: list[Violation] = []
    if not request.text:
        out.append(Violation("text", E.S101.format()))
    size = len(request.text.encode("utf-8", "surrogatepass"))
    if size > limits.max_text_bytes:
        out.append(Violation("text", E.S102.format(size=size, limit=limits.max_text_bytes)))
    if request.offset_encoding not in validation.ENCODINGS:
        out.append(Violation("offset_encoding", E.S105.format(enum="OffsetEncoding", value=request.offset_encoding)))
    if out:
        raise invalid(out)


def _rules(request: pb.ExplainRequest, compiled: CompiledRuleSet) -> str | None:
    if not request.rule_id:
        return None
    known = {rule.id for rule in compiled.spec.runnable}
    if request.rule_id not in known:
        raise invalid([Violation("rule_id", E.S109.format(rule_id=request.rule_id, count=len(known)))])
    return request.rule_id


def run(request: pb.ExplainRequest, manager: RuleSetManager, serving: CompiledRuleSet) -> pb.ExplainResponse:
    """Explain on the server's pipeline, held against reloads (blocking: call it in a thread)."""
    with manager.pipeline() as nlp:
        return answer(request, nlp, serving)


def answer(request: pb.ExplainRequest, nlp: Language, serving: CompiledRuleSet | None) -> pb.ExplainResponse:
    """Explain a validated request with `serving`, or with the request's draft pack (then
    `serving` may be None: `sitrep explain --draft` loads no rules directory)."""
    draft: Draft | None = None
    if request.draft_yaml:
        try:
            draft = load_draft(nlp, request.draft_yaml)
        except RuleSetError as exc:
            raise invalid([Violation("draft_yaml", E.S110.format(error=str(e))) for e in exc.errors]) from None
    compiled = draft.compiled if draft else serving
    if compiled is None:
        raise ValueError("no rules to explain with: neither a serving rule set nor a draft")
    found = explain(nlp, compiled, request.text, _rules(request, compiled))
    return to_proto(found, request.text, request.offset_encoding, draft)


def to_proto(found: Explanation, text: str, encoding: int, draft: Draft | None) -> pb.ExplainResponse:
    conv = OffsetConverter(text, encoding)

    def span(start: int, end: int) -> pb.Span:
        return pb.Span(start=conv(start), end=conv(end))

    out = pb.ExplainResponse(rule_set_version=found.version, draft=draft is not None)
    for t in found.tokens:
        out.tokens.append(
            pb.ExplainToken(index=t.i, text=t.text, span=span(t.start, t.end), lemma=t.lemma, pos=t.pos,
                            tag=t.tag, dep=t.dep, head=t.head, entity=t.ent_type)
        )  # fmt: skip
    out.entities.extend(pb.ExplainEntity(label=e.label, text=e.text, span=span(e.start, e.end)) for e in found.entities)
    for c in found.candidates:
        out.candidates.append(
            pb.ExplainCandidate(
                rule_id=c.rule_id, event_label=c.event, text=c.text, span=span(c.start, c.end),
                roles=[pb.ExplainRole(role=r.role, text=r.text, span=span(r.start, r.end)) for r in c.roles],
                fate=FATES[c.fate], winner_rule_id=c.winner, reason=c.reason,
            )
        )  # fmt: skip
    out.near_misses.extend(_near_miss(m, found, span) for m in found.near_misses)
    out.events.extend(to_event(e, i, "explain", conv) for i, e in enumerate(found.result.events))
    if draft is not None:
        out.examples.extend(_example(r) for r in draft.examples)
    costs = sorted(found.rule_seconds.items(), key=lambda item: (-item[1], item[0]))
    out.rule_costs.extend(pb.RuleCost(rule_id=rule_id, cpu_seconds=seconds) for rule_id, seconds in costs)
    return out


def _near_miss(miss: NearMiss, found: Explanation, span: Callable[[int, int], pb.Span]) -> pb.NearMiss:
    out = pb.NearMiss(
        rule_id=miss.rule_id, node=miss.node, node_index=miss.node_index, kind=KINDS[miss.kind],
        constraint=miss.constraint, found=miss.found, matched_tokens=miss.matched, message=miss.message,
    )  # fmt: skip
    if miss.token is not None:
        token = found.tokens[miss.token]
        out.span.CopyFrom(span(token.start, token.end))
    return out


def _example(result: ExampleResult) -> pb.ExampleResult:
    return pb.ExampleResult(
        rule_id=result.rule.id, line=result.example.line, text=result.example.text, passed=result.passed,
        problem=result.problem, expected_json=json.dumps(list(result.example.expect), ensure_ascii=False),
        actual_json=json.dumps(list(result.actual), ensure_ascii=False),
    )  # fmt: skip
