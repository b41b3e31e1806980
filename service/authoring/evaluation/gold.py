"""Gold readers: every supported JSON Lines format → `GoldDoc` records with one shape.

Formats are recognised per record, by structure rather than by file name:
- seed (`events` with `evidence`/`start`/`end`, `must_not_match`): evidence-overlap matching;
- sentence (`granularity: sentence`, WikiEvents): one sentence, exhaustive for ATTACK/CASUALTY;
- window (`trigger_sentence`, RAMS): one positive event per window, recall only;
- attribution (events with `quote` and `raw.Content` spans, PolNeAR): speech attributions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from service.events.registry import BUILTIN, NAME

Mode = Literal["seed", "sentence", "window", "attribution"]
Span = tuple[int, int]

SCORED_TYPES: dict[Mode, frozenset[str] | None] = {
    "seed": None,
    "sentence": frozenset({"attack", "casualty"}),
    "window": frozenset(),
    "attribution": frozenset({"statement"}),
}
"""Types whose absence in a unit is a true negative, so precision can be measured (None: every
type, a pack's own included)."""

ROLE_KEYS: dict[str, str] = {
    "attacker": "attacker", "target": "target", "location": "location", "weapon": "weapon",
    "victims": "victims", "victim": "victims", "victim_head": "victims",
    "perpetrator": "perpetrator", "speaker": "speaker", "besieger": "besieger",
    "content": "content", "cue": "cue", "addressee": "addressee", "recipient": "addressee",
}  # fmt: skip
"""Gold role keys of every format → our role names. Any other key with text or numbers keeps its
name, so gold for a pack's own event type names its roles as the type declares them."""
_NOT_ROLES = frozenset(
    {"type", "start", "end", "evidence", "required", "trigger", "kind", "casualty_kind", "count",
     "count_min", "count_max", "trapped_min", "direct", "quote", "raw", "id", "sent_idx"}
)  # fmt: skip

_SPEECH_BASES = (
    "say", "tell", "state", "add", "claim", "report", "announce", "note", "write", "explain",
    "insist", "argue", "warn", "ask", "reply", "respond", "declare", "acknowledge", "admit",
    "confirm", "deny", "tweet", "testify", "comment", "remark", "recall", "emphasize",
    "emphasise", "stress", "mention", "according", "predict", "allege", "assert", "contend",
    "complain", "concede", "observe", "disclose", "reveal", "caution", "vow", "promise",
)  # fmt: skip
_IRREGULAR = {"said", "says", "saying", "told", "wrote", "written", "writing", "denied", "denies",
              "replied", "replies", "testified", "testifies"}  # fmt: skip


def _inflections(base: str) -> set[str]:
    stem = base[:-1] if base.endswith("e") else base
    return {base, base + "s", base + "es", stem + "ed", stem + "ing", base + "d"}


SPEECH_WORDS: frozenset[str] = frozenset({form for base in _SPEECH_BASES for form in _inflections(base)} | _IRREGULAR)
"""Cue words that make a PolNeAR attribution a speech event (not a belief or intention).

The scorer's own definition, deliberately not the pack's `speech_cue_verbs` or
`speaker_speech_verbs` lexicon: this list decides which gold attributions count, so reading it
from the pack under test would let a pack move its own denominator (adding a verb would add gold
events), and two packs could no longer be scored against the same gold."""


@dataclass(frozen=True, slots=True)
class GoldEvent:
    type: str
    start: int  # evidence (seed) or unit (sentence, window, document) span
    end: int
    required: bool = True
    trigger: str = ""
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    kind: str = ""  # casualty kind, lower case; "" when not annotated
    count: tuple[int | None, int | None] | None = None  # (min, max) when annotated
    trapped_min: int | None = None
    direct: bool | None = None
    content_spans: tuple[Span, ...] = ()
    speaker_spans: tuple[Span, ...] = ()
    cue_spans: tuple[Span, ...] = ()
    speech: bool = True  # attribution mode: a speech cue (scored) or a belief/intention


@dataclass(frozen=True, slots=True)
class GoldDoc:
    id: str
    mode: Mode
    text: str
    events: tuple[GoldEvent, ...]
    unit: Span  # the stretch of text the gold speaks for (the trigger sentence in a window)
    forbidden: tuple[tuple[Span, str], ...] = ()  # must_not_match spans and their text

    def scores(self, event_type: str) -> bool:
        """Whether a prediction of this type with no gold to match counts as a false positive."""
        scored = SCORED_TYPES[self.mode]
        return scored is None or event_type in scored


class GoldFormatError(ValueError):
    """A record that none of the readers understands."""


def read_gold(path: Path) -> list[GoldDoc]:
    docs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            docs.append(parse_record(record, f"{path.name}:{number}"))
        except (json.JSONDecodeError, GoldFormatError, KeyError, TypeError) as exc:
            raise GoldFormatError(f"{path}:{number}: {exc}") from exc
    return docs


def detect_mode(record: dict[str, Any]) -> Mode:
    events = record.get("events") or []
    if "trigger_sentence" in record:
        return "window"
    if record.get("granularity") == "sentence":
        return "sentence"
    if any("quote" in e and "raw" in e for e in events):
        return "attribution"
    if "must_not_match" in record or any("evidence" in e for e in events):
        return "seed"
    if str(record.get("granularity", "")).startswith("document"):
        return "attribution"
    raise GoldFormatError("unknown gold format (no evidence, sentence, window or attribution)")


def parse_record(record: dict[str, Any], fallback_id: str) -> GoldDoc:
    mode = detect_mode(record)
    text: str = record["text"]
    doc_id = str(record.get("id") or record.get("doc_id") or record.get("doc_key") or fallback_id)
    if mode == "sentence" and "sent_idx" in record:
        doc_id = f"{doc_id}#{record['sent_idx']}"
    if mode == "seed":
        return _seed(doc_id, text, record)
    if mode == "attribution":
        events = tuple(_attribution(e, len(text)) for e in record["events"])
        return GoldDoc(doc_id, mode, text, events, (0, len(text)))
    unit = (0, len(text))
    if mode == "window":
        start = text.find(record["trigger_sentence"])
        if start >= 0:
            unit = (start, start + len(record["trigger_sentence"]))
    events = tuple(_unit_event(e, unit) for e in record["events"])
    return GoldDoc(doc_id, mode, text, events, unit)


def _type(value: str) -> str:
    """A built-in type name in any case, or the label of a pack's own type."""
    lowered = value.lower()
    if lowered in BUILTIN or NAME.match(lowered):
        return lowered
    raise GoldFormatError(f"invalid event type {value!r}")


def _values(value: Any) -> tuple[str, ...]:
    if value is None or value == "" or isinstance(value, (dict, bool)):
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value if v and isinstance(v, (str, int)))
    return (str(value),)


def _roles(event: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    roles: dict[str, tuple[str, ...]] = {}
    for key, role in ROLE_KEYS.items():
        values = _values(event.get(key))
        if values and role not in roles:
            roles[role] = values
    for key, value in event.items():
        if key not in ROLE_KEYS and key not in _NOT_ROLES and (values := _values(value)):
            roles.setdefault(key, values)
    return roles


def _seed(doc_id: str, text: str, record: dict[str, Any]) -> GoldDoc:
    events = []
    for raw in record["events"]:
        start, end = int(raw["start"]), int(raw["end"])
        count = None
        if "count_min" in raw or "count_max" in raw:
            count = (raw.get("count_min"), raw.get("count_max"))
        content: tuple[Span, ...] = ()
        if raw.get("content"):
            found = _find_near(text, str(raw["content"]), start)
            content = (found,) if found else ()
        events.append(
            GoldEvent(
                type=_type(raw["type"]),
                start=start,
                end=end,
                required=bool(raw.get("required", True)),
                trigger=str(raw.get("trigger", "")),
                roles=_roles(raw),
                kind=str(raw.get("kind", "")).lower(),
                count=count,
                trapped_min=raw.get("trapped_min"),
                direct=raw.get("direct"),
                content_spans=content,
            )
        )
    forbidden = []
    for phrase in record.get("must_not_match") or []:
        for match in re.finditer(re.escape(phrase), text):
            forbidden.append(((match.start(), match.end()), phrase))
    return GoldDoc(doc_id, "seed", text, tuple(events), (0, len(text)), tuple(forbidden))


def _find_near(text: str, needle: str, around: int) -> Span | None:
    """The occurrence of `needle` closest to `around` (content quoted in the evidence)."""
    best: Span | None = None
    for match in re.finditer(re.escape(needle), text):
        if best is None or abs(match.start() - around) < abs(best[0] - around):
            best = (match.start(), match.end())
    return best


def _unit_event(raw: dict[str, Any], unit: Span) -> GoldEvent:
    count = None
    if raw.get("count") is not None:
        value = raw["count"]
        count = (value, value) if isinstance(value, int) else None
    return GoldEvent(
        type=_type(raw["type"]), start=unit[0], end=unit[1], trigger=str(raw.get("trigger") or ""),
        roles=_roles(raw), kind=str(raw.get("casualty_kind") or "").lower(), count=count,
    )  # fmt: skip


def _spans(raw: dict[str, Any], key: str, limit: int) -> tuple[Span, ...]:
    found: list[Span] = []
    for part in raw.get(key) or []:
        for start, end in part.get("spans") or []:
            if 0 <= start < end <= limit:
                found.append((int(start), int(end)))
    return tuple(found)


def is_speech_cue(cue: str) -> bool:
    return any(word in SPEECH_WORDS for word in re.findall(r"[a-z]+", cue.lower()))


def _attribution(raw: dict[str, Any], limit: int) -> GoldEvent:
    source = raw.get("raw") or {}
    content = _spans(source, "Content", limit)
    cue = str(raw.get("cue") or "")
    return GoldEvent(
        type=_type(raw["type"]),
        start=min((s for s, _ in content), default=0),
        end=max((e for _, e in content), default=0),
        trigger=cue,
        roles=_roles({"speaker": raw.get("speaker"), "cue": cue}),
        direct=raw.get("direct"),
        content_spans=content,
        speaker_spans=_spans(source, "Source", limit),
        cue_spans=_spans(source, "Cue", limit),
        speech=is_speech_cue(cue),
    )
