"""Split long lists for IN (...) lookups: PostgreSQL takes at most 65,535 parameters a statement."""

from collections.abc import Iterable, Iterator

IN_CHUNK = 5_000


def chunked(values: Iterable, size: int = IN_CHUNK) -> Iterator[list]:
    """The values in lists of at most `size`."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]
