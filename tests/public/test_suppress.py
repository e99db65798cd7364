"""The suppression rule on its own: small counts hidden, and no total gives a hidden one back."""

from __future__ import annotations

from tartip.public import suppress


def test_counts_below_k_are_hidden_zero_included():
    assert suppress.K == 10
    assert suppress.shown(10) == 10
    assert suppress.shown(9) is None
    assert suppress.shown(0) is None
    assert suppress.suppress({"a": 10, "b": 9, "c": 0}) == {"a": 10, "b": None, "c": None}


def test_a_single_hidden_cell_beside_a_total_hides_the_smallest_shown_one():
    cells = {"a": 50, "b": 5, "c": 20, "d": 30}
    shown = suppress.suppress(cells, [lambda _key: "all"])
    # 105 - (50 + 30) = 25 is all a reader learns: b and c are not given back one by one.
    assert shown == {"a": 50, "b": None, "c": None, "d": 30}


def test_a_group_with_two_hidden_cells_or_none_is_left_alone():
    assert suppress.suppress({"a": 50, "b": 5, "c": 3}, [lambda _k: "all"]) == {
        "a": 50, "b": None, "c": None,
    }  # fmt: skip
    assert suppress.suppress({"a": 50, "b": 15}, [lambda _k: "all"]) == {"a": 50, "b": 15}


def test_hiding_for_one_group_is_carried_into_the_other_groups():
    # Rows r1, r2 and columns c1, c2, all four totals published. Only (r1, c1) is small.
    cells = {("r1", "c1"): 4, ("r1", "c2"): 40, ("r2", "c1"): 30, ("r2", "c2"): 50}
    shown = suppress.suppress(cells, [row, column])
    hidden = {key for key, value in shown.items() if value is None}
    assert hidden == set(cells)  # no row or column may be left with a single hidden cell
    for group in (row, column):
        for name in {group(key) for key in cells}:
            assert len([key for key in hidden if group(key) == name]) != 1


def row(key: tuple[str, str]) -> str:
    return key[0]


def column(key: tuple[str, str]) -> str:
    return key[1]
