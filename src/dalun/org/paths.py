"""Materialised paths: each unit's path is its parent's path plus a fixed-width step.

A subtree is then one index range scan (``path >= p AND path < p_end``) on SQLite and PostgreSQL alike.
Steps use digits and upper-case letters only, whose order is the same under the C collation, SQLite's
BINARY collation and the usual ICU/glibc locales, so a plain b-tree index serves the range.
"""

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEP_LENGTH = 4
MAX_CHILDREN = len(ALPHABET) ** STEP_LENGTH


def encode_step(position: int) -> str:
    """The fixed-width step for the child at ``position`` (1-based) under one parent."""
    if not 0 < position < MAX_CHILDREN - 1:
        # The all-last step is never given out, so every path has a successor of the same length.
        raise ValueError(f"a unit can have at most {MAX_CHILDREN - 2} children")
    return _encode(position)


def _encode(position: int) -> str:
    digits = []
    for _ in range(STEP_LENGTH):
        position, remainder = divmod(position, len(ALPHABET))
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits))


def decode_step(step: str) -> int:
    value = 0
    for char in step:
        value = value * len(ALPHABET) + ALPHABET.index(char)
    return value


def child_path(parent_path: str, position: int) -> str:
    return parent_path + encode_step(position)


def subtree_upper_bound(path: str) -> str:
    """The next sibling's path: greater than every path that starts with ``path``.

    Made only of ALPHABET characters (a sentinel such as '~' would be ignored by locale collations).
    """
    head, last = path[:-STEP_LENGTH], decode_step(path[-STEP_LENGTH:])
    return head + _encode(last + 1)


def ancestor_paths(path: str) -> list[str]:
    """Paths of every ancestor, root first, excluding the unit itself."""
    return [path[:end] for end in range(STEP_LENGTH, len(path), STEP_LENGTH)]


def depth_of(path: str) -> int:
    return len(path) // STEP_LENGTH
