"""One catalogue of every error message, each with a code shown in its text (after spaCy's errors.py).

Codes are grouped: R1xx rule files and schema, R2xx patterns and lexicons, R3xx pipeline needs,
R4xx examples, W1xx lint warnings (shown by `sitrep check`, never failing a load),
S1xx serving (request validation and limits). `GROUP_STATUS` maps the serving
groups to gRPC status codes in one place.
"""

from __future__ import annotations

import enum
import string


class E(enum.Enum):
    """Error templates. Use `E.X.format(**kw)`; placeholders are checked by the test suite."""

    R101 = "invalid YAML: {problem}"
    R102 = "the file must be a mapping with `version`, `lexicons` and/or `rules`"
    R103 = "{path}: {problem}"
    R104 = "duplicate key {key!r}"
    R105 = "cannot read file: {problem}"
    R106 = "file is {size} bytes, over the limit of {limit} bytes"
    R107 = "YAML aliases are not allowed (an alias repeats the node at line {line})"
    R108 = "YAML nests deeper than {limit} levels"
    R109 = "link leads outside the rules directory; the file is not read"
    R110 = "duplicate rule id {rule_id!r}, first defined at {first}"
    R111 = "a rule needs exactly one of `pattern`, `dependency` or `phrases` (found {found})"
    R112 = "unknown event type {event!r}; known types: {known}"
    R113 = "event type {name!r} is already defined ({first})"
    R114 = "event type {name!r}: {problem}"
    R115 = "file name is not valid UTF-8; the file is ignored until it is renamed"
    R116 = "unknown priority level {name!r}; named levels: {known}"
    R117 = "priority level {name!r}: {problem}"
    R118 = "priority {value} is outside {low}..{high}"
    R190 = "reload failed unexpectedly ({kind}); the serving rule set is unchanged"
    R201 = "invalid token pattern {path}: {problem}"
    R202 = "unknown lexicon ${name}; known lexicons: {known}"
    R203 = "unknown role {role!r} for event type {event}; its roles are: {roles}"
    R204 = "dependency pattern: {problem}"
    R205 = "duplicate lexicon {name!r}, first defined at {first}"
    R206 = "lexicon reference ${name} must stand alone as the value of IN or NOT_IN"
    R207 = "REGEX {regex!r} is not allowed: {problem}"
    R208 = "`expand` names role {role!r}, which the rule never assigns"
    R209 = "`casualty_kind` only applies to casualty rules, not {event}"
    R210 = "attribute {name!r} of event type {event}: {problem}"
    R211 = "lexicon {name!r} has {count} entries, over the limit of {limit}"
    R212 = "the rule has {count} phrases, over the limit of {limit}"
    R213 = (
        "dependency pattern too costly: nodes {nodes} may each match any token of the sentence "
        "(an empty or POS/DEP-only RIGHT_ATTRS under an unbounded REL_OP); at most {limit} such "
        "nodes, give them a LEMMA, LOWER, ORTH, TEXT or NORM"
    )
    R214 = "template {name!r}: {problem}"
    R215 = "OPTIONAL node {node!r}: {problem}"
    R216 = "`rementions: true` needs `veto: true`: only a non-event's re-mentions can be ruled out"
    R217 = "context {name!r}: {problem}"
    R218 = "lexicon {name!r} includes itself: {cycle}"
    R301 = "the rule reads {attr}, which needs the {component!r} component; model {model!r} has {have}"
    R401 = "example {index}: {problem}"
    R402 = "examples took {seconds}s, over the budget of {budget}s per rule"
    W101 = "lexicon {name!r} is never used by a rule"
    W102 = "lexicon {name!r} lists {words} more than once"
    W103 = "{key} lists words twice, from ${name} and ${other}: {words}"
    W104 = "the rule has no negative example (one with `expect: []`)"
    W105 = "confidence 0 no longer vetoes; write `veto: true` if the rule rules out events"
    W106 = "on every positive example the rule loses to higher-priority {winner} in the whole pack"
    S101 = "text must not be empty"
    S102 = "text is {size} bytes, over the limit of {limit} bytes"
    S103 = "a batch holds at most {limit} documents, got {count}"
    S104 = "document id {doc_id!r} appears more than once in the batch (first at index {first})"
    S105 = "unknown {enum} value {value}"
    S106 = "request is not a valid {message}: {problem}"
    S107 = "document is required"
    S108 = "unknown event label {label!r}; the serving rule set has: {known}"
    S109 = "unknown rule id {rule_id!r} ({count} rules run)"
    S110 = "draft refused: {error}"
    S201 = "server is at its limit of {limit} concurrent requests; retry with backoff"
    S202 = "the extraction worker stopped while processing this request; retry"
    S203 = "the admin API is disabled; start the server with --enable-admin"
    S204 = "the admin API needs a valid token in the `authorization` metadata or a client certificate"
    S205 = "no rule set is loaded yet"
    S206 = "stream sent no message for {seconds}s; closed"
    S207 = "this client already has {limit} calls in flight; retry with backoff"
    S208 = "the worker was still busy {seconds}s past this call's deadline and was replaced"
    S209 = "draft rule packs are disabled; start the server with --enable-drafts"

    def format(self, **kwargs: object) -> str:
        """The message with its code first, as in `[R202] unknown lexicon $x`."""
        return f"[{self.name}] {self.value.format(**kwargs)}"

    @property
    def placeholders(self) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.value) if name}


GROUP_STATUS: dict[str, str] = {
    "S1": "INVALID_ARGUMENT",
    "S201": "RESOURCE_EXHAUSTED",
    "S202": "UNAVAILABLE",
    "S203": "PERMISSION_DENIED",
    "S204": "UNAUTHENTICATED",
    "S205": "UNAVAILABLE",
    "S206": "DEADLINE_EXCEEDED",
    "S207": "RESOURCE_EXHAUSTED",
    "S208": "DEADLINE_EXCEEDED",
    "S209": "PERMISSION_DENIED",
}


def status_name(code: E) -> str:
    """The gRPC status name for a serving error: the longest matching group prefix wins."""
    matches = [prefix for prefix in GROUP_STATUS if code.name.startswith(prefix)]
    if not matches:
        raise KeyError(f"{code.name} is not a serving error")
    return GROUP_STATUS[max(matches, key=len)]
