"""Text normalisation shared by search, duplicate detection and classification.

Users type Chinese with full-width digits and letters, English in any case, and pinyin with or without
spaces; one function folds all of these so that every feature compares text the same way.
"""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), case-folded, with runs of white space collapsed to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def search_key(*parts: str) -> str:
    """The text a search matches against: every part normalised, plus pinyin without its spaces.

    Joined with a separator that no query contains, so a match never spans two parts.
    """
    keys: list[str] = []
    for part in parts:
        if not part:
            continue
        folded = normalise(part)
        keys.append(folded)
        if " " in folded:
            keys.append(folded.replace(" ", ""))
    return "\x1f".join(keys)
