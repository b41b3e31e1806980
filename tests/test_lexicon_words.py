"""Reserved lexicons: the words speaker resolution reads come from the pack, with built-in defaults.

Docs are built by hand (words, heads, dependencies, entities), so no model is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, Span

from service.engine.builders import build_event
from service.engine.matching import Candidate
from service.engine.resolve import Grown
from service.events.lexicons import EngineLexicons
from service.events.mentions import mention
from service.rules.loader import load_rules, reserved_defaults
from service.rules.schema import RuleSpec

pytestmark = pytest.mark.fast

NLP = spacy.blank("en")


def parsed(
    rows: list[tuple[str, int, str]], ents: tuple[tuple[int, int, str], ...] = (), lemmas: dict[str, str] | None = None
) -> Doc:
    """A Doc from (word, head index, dep) rows; sentences follow the roots; a word's lemma is its
    lower case unless `lemmas` gives one."""
    words, heads, deps = (list(column) for column in zip(*rows, strict=True))
    lemma = [(lemmas or {}).get(word, word.lower()) for word in words]
    built = Doc(NLP.vocab, words=words, heads=heads, deps=deps, lemmas=lemma)
    built.ents = [Span(built, start, end, label) for start, end, label in ents]
    return built


def pack(tmp_path: Path, lexicons: str = "") -> EngineLexicons:
    """The reserved lexicons of a one-file pack whose `lexicons:` section is `lexicons`."""
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "words.yaml").write_text(f"version: 1\nlexicons:\n{lexicons}" if lexicons else "version: 1\n")
    return load_rules(tmp_path).lexicons


def extended(name: str, *added: str) -> str:
    """A `lexicons:` entry: the default list of a reserved name with `added` words (quoted: YAML
    reads a bare `on` as true)."""
    words = [*reserved_defaults()[name], *added]
    return f"  {name}: {json.dumps(words)}\n"


# "The council grumbled that the road was shut. It said repairs would take weeks."
GRUMBLED = parsed(
    [("The", 1, "det"), ("council", 2, "nsubj"), ("grumbled", 2, "ROOT"), ("that", 6, "mark"),
     ("the", 5, "det"), ("road", 6, "nsubjpass"), ("was", 6, "auxpass"), ("shut", 2, "ccomp"),
     (".", 2, "punct"), ("It", 10, "nsubj"), ("said", 10, "ROOT"), ("repairs", 13, "nsubj"),
     ("would", 13, "aux"), ("take", 10, "ccomp"), ("weeks", 13, "dobj"), (".", 10, "punct")],
    lemmas={"grumbled": "grumble", "said": "say"},
)  # fmt: skip
IT = 9

# "Corin Adler met Oska Brill. She said the talks had failed."
MET = parsed(  # "Oska Brill met Corin Adler. She said ...": the subject of unknown gender is taken first
    [("Oska", 1, "compound"), ("Brill", 2, "nsubj"), ("met", 2, "ROOT"), ("Corin", 4, "compound"),
     ("Adler", 2, "dobj"), (".", 2, "punct"), ("She", 7, "nsubj"), ("said", 7, "ROOT"),
     ("the", 9, "det"), ("talks", 11, "nsubj"), ("had", 11, "aux"), ("failed", 7, "ccomp"),
     (".", 7, "punct")],
    ents=((0, 2, "PERSON"), (3, 5, "PERSON")),
)  # fmt: skip
SHE = 6


def test_a_pack_without_reserved_lexicons_gets_the_built_in_defaults(tmp_path: Path) -> None:
    defaults = pack(tmp_path)
    assert defaults == EngineLexicons.from_words(reserved_defaults())
    assert "say" in defaults.speaker_speech_verbs and "near" in defaults.location_preps


def test_a_speech_verb_added_to_the_pack_lets_it_take_the_body_that_spoke(tmp_path: Path) -> None:
    assert mention(GRUMBLED, IT, IT + 1, pack(tmp_path / "a")).resolved == ""
    words = pack(tmp_path / "b", extended("speaker_speech_verbs", "grumble"))
    assert mention(GRUMBLED, IT, IT + 1, words).resolved == "The council"


def test_a_given_name_added_to_the_pack_decides_which_person_she_takes(tmp_path: Path) -> None:
    assert mention(MET, SHE, SHE + 1, pack(tmp_path / "a")).resolved == "Oska Brill"  # the subject, gender unknown
    words = pack(tmp_path / "b", extended("given_names_male", "oska"))
    assert mention(MET, SHE, SHE + 1, words).resolved == "Corin Adler"


def test_a_title_added_to_the_pack_counts_as_gender_evidence(tmp_path: Path) -> None:
    # "Doyenne Oska Brill": the word before the name, as "Mrs." would be
    titled = parsed(
        [("Doyenne", 2, "compound"), ("Oska", 2, "compound"), ("Brill", 3, "nsubj"), ("met", 3, "ROOT"),
         ("Corin", 5, "compound"), ("Adler", 3, "dobj"), (".", 3, "punct"), ("He", 8, "nsubj"),
         ("said", 8, "ROOT"), ("nothing", 8, "dobj"), (".", 8, "punct")],
        ents=((1, 3, "PERSON"), (4, 6, "PERSON")),
    )  # fmt: skip
    assert mention(titled, 7, 8, pack(tmp_path / "a")).resolved == "Oska Brill"
    words = pack(tmp_path / "b", extended("speaker_titles_female", "doyenne"))
    assert mention(titled, 7, 8, words).resolved == "Corin Adler"


def test_reserved_lexicons_are_never_reported_unused(tmp_path: Path) -> None:
    (tmp_path / "words.yaml").write_text(f"version: 1\nlexicons:\n{extended('location_preps', 'beyond')}")
    spec = load_rules(tmp_path)
    assert "beyond" in spec.lexicons.location_preps
    assert not [w for w in spec.warnings if "W101" in w.message]


def located(built: Doc, trigger: int, words: EngineLexicons) -> str | None:
    """The location the attack builder reports for a bare trigger candidate."""
    rule = RuleSpec("r", "attack", "", 0.8, 0, "active", "dependency", "f.yaml", 1, ())
    grown = Grown(Candidate(rule, {"trigger": (trigger,)}, trigger, trigger + 1), {"trigger": (trigger, trigger + 1)},
                  trigger, trigger + 1)  # fmt: skip
    location = build_event(built, grown, 0, trigger, words).roles.get("location")
    return None if location is None else location.text


def test_location_words_added_to_the_pack_find_the_place(tmp_path: Path) -> None:
    # "Rebels struck beyond the quarry."
    beyond = parsed(
        [("Rebels", 1, "nsubj"), ("struck", 1, "ROOT"), ("beyond", 1, "prep"), ("the", 4, "det"),
         ("quarry", 2, "pobj"), (".", 1, "punct")]
    )  # fmt: skip
    assert located(beyond, 1, pack(tmp_path / "a")) is None
    only_prep = pack(tmp_path / "b", extended("location_preps", "beyond"))
    assert located(beyond, 1, only_prep) is None  # a quarry is no place noun yet
    both = extended("location_preps", "beyond") + extended("place_nouns", "quarry")
    assert located(beyond, 1, pack(tmp_path / "c", both)) == "quarry"
