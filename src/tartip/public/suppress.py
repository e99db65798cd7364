"""Small counts hidden from the public: k-anonymity (k = 10, as MDS reports do) and its guard.

*Primary* suppression hides every count below ``K`` — zero too, as MDS does, so that "no trip"
and "one trip" look alike. Hiding cells is not enough when totals are published beside them:
a total minus the cells shown gives back the one cell hidden. *Secondary* suppression closes that
door cheaply: in every group whose total is published, a group with exactly one hidden cell hides
its smallest shown cell too, and this repeats until no group has a single hidden cell (hiding a
cell can leave another group with one). Differencing across periods is prevented elsewhere: the
datasets cover fixed calendar months and whole days only (``opendata.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from tartip.trips.statistics import K_ANONYMITY

K = K_ANONYMITY
Key = TypeVar("Key", bound=Hashable)
GroupOf = Callable[[Key], Hashable]


def shown(value: int, k: int = K) -> int | None:
    """``value`` when it may be published, else None (suppressed)."""
    return value if value >= k else None


def suppress(
    cells: Mapping[Key, int], groups: Sequence[GroupOf[Key]] = (), k: int = K
) -> dict[Key, int | None]:
    """The cells as they may be published: primary suppression, then secondary per group.

    ``groups`` are functions from a cell's key to the key of a group whose total is published
    (e.g. ``lambda key: key.district``). The result has every key of ``cells``, None where hidden.
    """
    hidden = {key for key, value in cells.items() if value < k}
    members = [_members(cells, group) for group in groups]
    changed = True
    while changed:
        changed = False
        for grouped in members:
            for keys in grouped.values():
                extra = _second_cell(keys, hidden, cells)
                if extra is not None:
                    hidden.add(extra)
                    changed = True
    return {key: None if key in hidden else value for key, value in cells.items()}


def _members(cells: Mapping[Key, int], group: GroupOf[Key]) -> dict[Hashable, list[Key]]:
    grouped: dict[Hashable, list[Key]] = defaultdict(list)
    for key in cells:
        grouped[group(key)].append(key)
    return grouped


def _second_cell(keys: Iterable[Key], hidden: set[Key], cells: Mapping[Key, int]) -> Key | None:
    """The cell to hide beside a group's single hidden one (None: the group is safe as it is)."""
    keys = list(keys)
    if sum(1 for key in keys if key in hidden) != 1:
        return None
    visible = [key for key in keys if key not in hidden]
    if not visible:
        return None
    # The smallest shown cell costs the least information; ties go to the first key given.
    return min(visible, key=lambda key: cells[key])
