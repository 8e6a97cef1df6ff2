"""What kind of activity a meeting is: dialogue, council, committee, information or other.

Read from the page's own words (config/vocabulary.yaml, `activities`): the
meeting's own sentence first, then its line and the lines below it, its
headings from the nearest up, the title, and last the whole page.
"""

from __future__ import annotations

from collections.abc import Iterable

from tasks.extract.vocabulary import Vocabulary


def classify_activity(texts: Iterable[str | None], vocab: Vocabulary) -> str:
    """The first activity whose words appear in the first text that names one; 'other' if none does."""
    for text in texts:
        if not text:
            continue
        for name, pattern in vocab.activities:
            if pattern.search(text):
                return name
    return "other"
