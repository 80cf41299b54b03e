"""The HTML page's layered layout."""

from __future__ import annotations

import random

from featureops.lineage.layout import NODE_HEIGHT, NODE_WIDTH, layered_positions


def test_every_edge_points_right_and_boxes_do_not_overlap() -> None:
    rng = random.Random(3)
    nodes = [f"n{i}" for i in range(80)]
    edges = [(f"n{j}", f"n{i}") for i in range(80) for j in rng.sample(range(i), min(i, 2))]
    positions = layered_positions(nodes, edges)
    assert set(positions) == set(nodes)
    for a, b in edges:
        assert positions[a][0] < positions[b][0]
    boxes = sorted(positions.values())
    for (x1, y1), (x2, y2) in zip(boxes, boxes[1:], strict=False):
        assert x1 != x2 or abs(y1 - y2) >= NODE_HEIGHT


def test_longest_path_layering() -> None:
    positions = layered_positions(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")])
    assert positions["c"][0] == 2 * positions["b"][0] > 0 and positions["a"][0] == 0
    assert positions["b"][0] >= NODE_WIDTH


def test_cycles_share_a_layer_instead_of_failing() -> None:
    positions = layered_positions(["a", "b", "c"], [("a", "b"), ("b", "a"), ("b", "c")])
    assert positions["a"][0] == positions["b"][0] < positions["c"][0]
