"""text → Doc → candidates → grown, negation-checked, resolved → typed events.

`extract` is a pure function of the texts, the compiled rule set and the pipeline; it never
raises on text (a failure on one document is a bug, caught by the property tests). Docs live
inside `nlp.memory_zone()`, so strings of unique inputs do not accumulate in the vocab.

The one way out is `should_stop`, asked before each spaCy minibatch: when it answers true,
`extract` raises `Stopped` (the pool uses it for expired deadlines and cancelled calls). So the
work that cannot be interrupted is one minibatch, which holds at most `MINIBATCH_CHARS` of text
unless a single document is longer.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc

from service.engine.builders import build_event
from service.engine.compiled import CompiledRuleSet
from service.engine.matching import Candidate, find_candidates
from service.engine.resolve import Grown, anchor, is_negated, resolve_overlaps
from service.engine.roles import grow, separate
from service.events.attribution import attribute
from service.events.coreference import drop_nonevent_rementions, link_rementions
from service.events.datelines import clip, dateline_ranges, in_dateline
from service.events.doctext import doc_text
from service.events.model import DocResult
from service.events.places import share_places
from service.events.quotes import holds_quote, quote_spans, quoted_apart

STAGES = ("nlp", "match", "build")
MINIBATCH_CHARS = 20_000  # about 0.3 s of parsing with en_core_web_sm on one core


class Stopped(Exception):
    """`should_stop` answered true before the batch was done."""


@dataclass(slots=True)
class BatchResult:
    docs: list[DocResult]
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    rule_seconds: dict[str, float] = field(default_factory=dict)
    """CPU seconds per rule id: its dependency matching and the growth of its candidates (token
    and phrase patterns share one matcher each, whose cost belongs to no single rule)."""


def grow_candidate(doc: Doc, candidate: Candidate) -> Grown:
    rule = candidate.rule
    datelines = dateline_ranges(doc)
    spans = {role: clip(datelines, *grow(doc, toks, rule.expansion(role))) for role, toks in candidate.tokens.items()}
    # a count phrase is one unit: no other role keeps a piece of it ("forty - three civilians")
    cores = {
        role: tuple(range(*spans[role])) if rule.expansion(role) == "quantity" else toks
        for role, toks in candidate.tokens.items()
    }
    separate(doc, spans, cores)
    start = min([candidate.start, *(s for s, _ in spans.values())])
    end = max([candidate.end, *(e for _, e in spans.values())])
    return Grown(candidate, spans, start, end)


def _cue_quoted_apart(doc: Doc, candidate: Candidate) -> bool:
    """A statement whose cue is a word of a quotation that does not hold its speaker
    (`quotes.quoted_apart`): no statement of that speaker, and, dropped before overlaps are
    resolved, no rival of the quoted speaker's own statement."""
    cue, speaker = candidate.tokens.get("cue"), candidate.tokens.get("speaker")
    if candidate.rule.event != "statement" or not cue or not speaker:
        return False
    first, last = doc[speaker[0]], doc[speaker[-1]]
    where = (first.idx, last.idx + len(last))
    return quoted_apart(doc_text(doc), quote_spans(doc_text(doc)), doc[cue[0]].idx, where)


def _content_misplaced(doc: Doc, candidate: Candidate) -> bool:
    """A statement whose content is a clause the parser hung on the cue that cannot be what was
    said: a clause under the cue that holds the speaker ("A, according to X here, who said B"
    took "A, according to" as what X said, not B), or one before the cue with a semicolon
    between them outside quotes ("Some said A; others warned that B" took "Some said A" as what
    the others warned). Dropped before overlaps are resolved, so the cue's own clause wins."""
    cue, content = candidate.tokens.get("cue"), candidate.tokens.get("content")
    if candidate.rule.event != "statement" or not cue or not content:
        return False
    head = doc[content[0]]
    if head.head.i == cue[0] and any(head.is_ancestor(doc[i]) for i in candidate.tokens.get("speaker", ())):
        return True
    quotes = quote_spans(doc_text(doc))
    between = doc[content[0] + 1 : cue[0]]
    return any(tok.text == ";" and not holds_quote(quotes, tok.idx, tok.idx + 1) for tok in between)


def _speech_wanted(compiled: CompiledRuleSet, types: frozenset[str] | None, only_rule: str | None) -> bool:
    """Whether statements may come out at all: attribution makes statements of its own (quotes
    carried over, transcript turns and answers), which a caller who asked for other types, a pack
    without statement rules or another rule's example run must not get."""
    if types is not None and "statement" not in types:
        return False
    if only_rule is not None:
        return any(r.id == only_rule and r.event == "statement" for r in compiled.spec.rules)
    return "statement" in compiled.events


def process_doc(
    doc: Doc, compiled: CompiledRuleSet, types: frozenset[str] | None = None,
    only_rule: str | None = None, timings: dict[str, float] | None = None,
    rule_seconds: dict[str, float] | None = None,
) -> DocResult:  # fmt: skip
    """Events of one parsed Doc. `only_rule` runs one rule alone (the example runner);
    `rule_seconds` gains each rule's CPU time (see `BatchResult.rule_seconds`)."""
    t0 = time.perf_counter()
    candidates = find_candidates(doc, compiled, rule_seconds)
    if datelines := dateline_ranges(doc):  # "KANDAHAR, Afghanistan —" is nobody's role
        candidates = [c for c in candidates if not any(in_dateline(datelines, i) for t in c.tokens.values() for i in t)]
    candidates = [c for c in candidates if not _cue_quoted_apart(doc, c) and not _content_misplaced(doc, c)]
    if only_rule is not None:
        candidates = [c for c in candidates if c.rule.id == only_rule]
    t1 = time.perf_counter()
    hits = Counter(c.rule.id for c in candidates)
    live: list[Grown] = []
    shadow: list[Grown] = []
    negated: list[str] = []
    for candidate in candidates:
        started = time.thread_time()
        if candidate.rule.negation == "drop" and is_negated(doc, candidate, compiled.spec.lexicons):
            negated.append(candidate.rule.id)
        else:
            (shadow if candidate.rule.status == "shadow" else live).append(grow_candidate(doc, candidate))
        if rule_seconds is not None:
            rule_id = candidate.rule.id
            rule_seconds[rule_id] = rule_seconds.get(rule_id, 0.0) + time.thread_time() - started
    kept, suppressed = resolve_overlaps(live, doc, keep_vetoes=only_rule is not None)
    _, shadow_suppressed = resolve_overlaps(shadow, doc)
    sentence_starts = [sent.start for sent in doc.sents]
    events, anchors = [], []
    for grown in kept:
        index = bisect.bisect_right(sentence_starts, grown.start) - 1
        anchors.append(anchor(grown.candidate))
        events.append(build_event(doc, grown, max(index, 0), anchors[-1], compiled.spec.lexicons))
    # places are shared before the type filter: a casualty's place does not depend on whether
    # the caller asked for the attack that named it
    events = share_places(doc, events, anchors, compiled.placed_types, compiled.spec.lexicons)
    events = [e for e in events if types is None or e.type in types]
    events.sort(key=lambda e: (e.start, e.end, e.rule_id))
    if _speech_wanted(compiled, types, only_rule):
        events = attribute(doc, events)  # speaker sources, quotes carried over from their cue
    nonevents = [(g.candidate.rule.event, doc[anchor(g.candidate)].idx) for g in live if g.candidate.rule.rementions]
    events, rementions = drop_nonevent_rementions(doc, events, nonevents)
    suppressed += rementions
    events = link_rementions(doc, events)  # after the type filter: indices are the caller's
    if timings is not None:
        timings["match"] += t1 - t0
        timings["build"] += time.perf_counter() - t1
    return DocResult(events, len(doc), dict(hits), suppressed + shadow_suppressed, negated)


def _timed(docs: Iterator[Doc], timings: dict[str, float]) -> Iterator[Doc]:
    while True:
        t0 = time.perf_counter()
        doc = next(docs, None)
        timings["nlp"] += time.perf_counter() - t0
        if doc is None:
            return
        yield doc


def _guarded(texts: Sequence[str], should_stop: Callable[[], bool]) -> Iterable[str]:
    for text in texts:
        if should_stop():
            raise Stopped()
        yield text


def extract(
    nlp: Language, compiled: CompiledRuleSet, texts: Sequence[str],
    types: frozenset[str] | None = None, only_rule: str | None = None, batch_size: int = 32,
    should_stop: Callable[[], bool] | None = None,
) -> BatchResult:  # fmt: skip
    """Run the pruned pipeline over `texts` with nlp.pipe and extract from each document."""
    result = BatchResult([])
    if should_stop is not None:
        # nlp.pipe pulls texts a minibatch at a time, so a stop is seen before the next one starts.
        total = sum(map(len, texts))
        batch_size = max(1, min(batch_size, MINIBATCH_CHARS * len(texts) // max(total, 1)))
    with nlp.memory_zone():
        source = texts if should_stop is None else _guarded(texts, should_stop)
        docs = nlp.pipe(source, disable=list(compiled.plan.disabled), batch_size=batch_size)
        for doc in _timed(iter(docs), result.stage_seconds):
            result.docs.append(process_doc(doc, compiled, types, only_rule, result.stage_seconds, result.rule_seconds))
    return result
