"""A line break ends a sentence: a pipeline component that runs before the parser.

News text puts headlines, datelines, bylines and paragraphs on lines of their own, often without
a full stop ("Death toll in mine collapse rises to 19¶The death toll from ..."). The statistical
parser then reads the headline and the first sentence as one, and attaches words across the break
("19" became a number of the second "toll", so neither clause reported a count). spaCy's parser
keeps sentence starts that are set before it runs, so this component marks the first token after
every token holding a line break as one: no parse crosses a paragraph. A dateline ends one too
("ERBIL, Kurdistan Region - A Turkish drone struck ..."): read as one sentence with the story, the
city became the subject of the first verb and the drone a conjunct of it. So does the name of
the network X at a sentence's end ("said in a post on X. Two sailors ..."): the tokenizer keeps
"X." whole as an initial, and the parser ran the two sentences together.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from service.events.datelines import dateline_ranges

PARAGRAPHS = "sitrep_paragraphs"
_BEFORE_NETWORK = frozenset({"on", "via"})
"""Words that put "X." before them as the network, not as a person's initial ("Malcolm X.")."""


def _after_network(doc: Doc, i: int) -> bool:
    """Token `i` ("X.") is the network ending a sentence: "on X. Two sailors ..."."""
    return i > 0 and doc[i - 1].lower_ in _BEFORE_NETWORK and doc[i + 1].is_title


@Language.component(PARAGRAPHS)
def paragraph_breaks(doc: Doc) -> Doc:
    """Mark the token after each line break, after the network X and after each dateline as a
    sentence start, and a break itself as none (it stays with the sentence it ends: no sentence
    of whitespace alone). One pass over the tokens."""
    for token in doc[:-1]:
        if "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
            if token.i > 0 and token.is_space:
                token.is_sent_start = False
        elif token.text == "X." and _after_network(doc, token.i):
            doc[token.i + 1].is_sent_start = True
    for _, end in dateline_ranges(doc):  # kept in `doc.user_data`: the engine reads them again
        if end < len(doc):
            doc[end].is_sent_start = True
    return doc
