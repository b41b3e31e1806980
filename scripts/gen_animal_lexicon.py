"""Generate the `animals` lexicon of rules/attacks.yaml from WordNet 3.0.

Authoring time only: the service reads the lexicon this script wrote between the
`# BEGIN generated animals` / `# END generated animals` markers. "A shark attacked a surfer",
"the dog attacked a postman", "a virus attacks the immune system": an animal or a germ is no
attacker of an ATTACK event, so the veto `attack.not.animal` reads this list.

    apt-get install -y wordnet-base     # Debian: WordNet 3.0 under /usr/share/wordnet
    .venv/bin/python scripts/gen_animal_lexicon.py [--wordnet DIR] [--check]

Criteria: a one-word noun whose most frequent sense (the first synset of its index entry,
WordNet orders them by SemCor frequency) is in the `noun.animal` lexicographer file, and which
SemCor tags at least once (`tagsense_cnt` > 0: rare zoological names stay out); plus the
microbes below, which WordNet files under other heads, and wildlife SemCor never tags. Words in
`EXCLUDED` name people as often.
"""

from __future__ import annotations

from pathlib import Path

from service.authoring.lexicon_blocks import NOUN_ANIMAL, generate, main_sense_nouns

ADDED = ("virus", "bacterium", "bacteria", "germ", "parasite", "microbe", "pathogen", "fungus")
WILDLIFE = (
    *("leopard", "tiger", "crocodile", "alligator", "hippopotamus", "hippo"),
    *("hyena", "jaguar", "boar", "cobra", "baboon"),
)
"""Animals that maul, gore or bite people in the news but that SemCor never tags."""
EXCLUDED = {
    "game": "a match as often as quarry",
    "young": "young people",
    "pet": "a term of address",
    "stock": "shares",
    "head": "a person at the head",
    "pest": "also a nuisance person, kept by leisure_crowds",
    "drone": "an unmanned aircraft in news far more than a bee",
    "wing": "an armed group's wing, an air force wing",
    "human": "people",
    "male": "people",
    "female": "people",
    "queen": "a monarch",
    "giant": "a large company or a tall person",
    "down": "the particle and the adverb",
    "charger": "a battery charger",
    "feeder": "a feeder road or school",
    "mount": "a mountain",
    "stray": "a stray shell or bullet",
    "cricket": "the sport",
    "tail": "a convoy's tail",
}
RULES = Path(__file__).resolve().parent.parent / "rules" / "attacks.yaml"


def animals(wordnet: Path) -> list[str]:
    words = main_sense_nouns(wordnet, NOUN_ANIMAL) - set(EXCLUDED)
    return sorted(words | {*ADDED, *WILDLIFE})


def main(argv: list[str] | None = None) -> int:
    return generate(argv, __doc__.splitlines()[0], "animals", animals, RULES, "scripts/gen_animal_lexicon.py")


if __name__ == "__main__":
    raise SystemExit(main())
