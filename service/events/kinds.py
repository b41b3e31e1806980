"""Casualty kinds: which kind a casualty trigger word reports (kill → KILLED, wound → INJURED).

Shared by the builder (the `kind` of a casualty event) and by overlap resolution (casualties of
different specific kinds in one clause are different events: "three killed and 12 wounded").
"""

from __future__ import annotations

from spacy.tokens import Token

KIND_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ("kill", "killed", "dead", "die", "died", "death", "deaths", "toll", "fatality",
         "fatalities", "body", "bodies", "massacre", "massacred", "slain", "slay", "murder",
         "murdered", "execute", "executed", "perish", "perished", "killing", "killings",
         "slaughter", "slaughtered", "assassinate", "assassinated", "behead", "beheaded",
         "decapitate", "decapitated", "exterminate", "exterminated", "annihilate", "lynch",
         "lynched", "butcher", "butchered", "deceased", "homicide", "homicides", "murders", "electrocute",
         "electrocuted"),
        "KILLED",
    ),
    **dict.fromkeys(
        ("injure", "injured", "wound", "wounded", "hurt", "injury", "injuries", "maim",
         "maimed", "hospitalised", "hospitalized", "wounds", "burns", "stabbed", "stabbing", "tortured",
         "torture", "raped", "rape", "beaten", "beating", "mutilated", "mutilation", "maiming",
         "whipped", "kicked", "punched", "assaulted"),
        "INJURED",
    ),
    **dict.fromkeys(("missing", "disappeared", "unaccounted"), "MISSING"),
    **dict.fromkeys(
        ("capture", "captured", "taken", "abduct", "abducted", "kidnap", "kidnapped", "detain",
         "detained", "prisoner", "prisoners", "hostage", "hostages", "seize", "seized", "snatch",
         "snatched"),
        "CAPTURED",
    ),
}  # fmt: skip
SPECIFIC_KINDS = frozenset({"KILLED", "INJURED", "MISSING", "CAPTURED"})


def casualty_kind(text: str, lemma: str) -> str:
    return KIND_WORDS.get(text.lower(), KIND_WORDS.get(lemma.lower(), "UNSPECIFIED"))


def token_kind(token: Token, fixed: str | None = None) -> str:
    """The kind a rule reports for its kind/anchor token: the rule's fixed kind, else the word's."""
    return fixed or casualty_kind(token.text, token.lemma_)
