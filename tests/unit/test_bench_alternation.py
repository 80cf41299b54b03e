"""The benchmarks' alternation (#12 item 7b/c): every implementation takes every position of
a round in turn, ratios are paired within a round, and the training-set benchmark refuses
to time a result that is not featureops's."""

from __future__ import annotations

import pytest

from benchmarks.alternation import alternate, describe_ratios, round_order, round_ratios


def test_round_order_rotates_so_each_kind_takes_each_position():
    kinds = ["featureops", "naive", "featureops_1gb", "feast"]
    orders = [round_order(kinds, number) for number in range(4)]
    assert orders[0] == kinds
    assert orders[1] == ["naive", "featureops_1gb", "feast", "featureops"]
    for position in range(4):
        assert sorted(order[position] for order in orders) == sorted(kinds)
    assert round_order(kinds, 5) == orders[1]


def test_round_order_of_two_swaps_every_round():
    assert [round_order(["a", "b"], n) for n in range(3)] == [["a", "b"], ["b", "a"], ["a", "b"]]


def test_round_order_refuses_nothing():
    with pytest.raises(ValueError, match="nothing"):
        round_order([], 0)


def test_alternate_calls_in_rotating_order_and_keeps_results_per_round():
    calls = []

    def runner(kind):
        def run():
            calls.append(kind)
            return f"{kind}{sum(1 for c in calls if c == kind)}"
        return run

    results = alternate({"x": runner("x"), "y": runner("y"), "z": runner("z")}, rounds=3)
    assert calls == ["x", "y", "z", "y", "z", "x", "z", "x", "y"]
    assert results == {"x": ["x1", "x2", "x3"], "y": ["y1", "y2", "y3"],
                       "z": ["z1", "z2", "z3"]}
    with pytest.raises(ValueError, match="round"):
        alternate({"x": runner("x")}, rounds=0)


def test_ratios_pair_rounds_and_the_median_is_reported():
    ratios = round_ratios([2.0, 3.0, 9.0], [1.0, 2.0, 3.0])
    assert ratios == [2.0, 1.5, 3.0]
    assert describe_ratios(ratios) == "median 2.00x (rounds 2.00x, 1.50x, 3.00x)"
    with pytest.raises(ValueError):
        round_ratios([1.0], [1.0, 2.0])


def test_training_set_check_refuses_a_result_that_differs_from_featureops(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from benchmarks.bench_training_set import check_result

    pq.write_table(pa.table({"user_id": [1, 2]}), tmp_path / "spine.parquet")
    ours = pa.table({"user_id": [1, 2], "f0": [0.5, None]})
    pq.write_table(ours, tmp_path / "featureops_result.parquet")
    check_result("featureops", tmp_path)
    pq.write_table(ours, tmp_path / "naive_result.parquet")
    check_result("naive", tmp_path)
    pq.write_table(pa.table({"user_id": [1, 2], "f0": [0.5, 0.7]}),
                   tmp_path / "naive_result.parquet")
    with pytest.raises(SystemExit, match="naive's training set differs"):
        check_result("naive", tmp_path)
    pq.write_table(pa.table({"user_id": [1, 2, 3]}), tmp_path / "spine.parquet")
    with pytest.raises(SystemExit, match="2 rows for a 3-row spine"):
        check_result("featureops", tmp_path)
