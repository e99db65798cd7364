"""Travel times over the street network: one-way rules, who may use what, snapping, fallback."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tartip.ops.dispatch.model import TravelMode
from tartip.ops.dispatch.network import RoadNetwork
from tartip.ops.dispatch.network_times import NetworkTravelTimes
from tartip.ops.dispatch.profiles import BIKE, CAR, KMH, WALK
from tartip.ops.dispatch.travel import StraightLineTimes

WALK_S_PER_M = 1 / WALK.default_speed


def one(times: NetworkTravelTimes, mode: TravelMode, a, b) -> tuple[float, bool]:
    answer = times.times(mode, [a], [b])
    return float(answer.seconds[0, 0]), bool(answer.estimated[0, 0])


def test_the_grid_is_contracted_to_its_crossings(grid_network: RoadNetwork) -> None:
    # 25 crossings, less the two corners where a street only bends (degree 2), plus the two
    # ends of the lone street.
    assert grid_network.n_junctions == 25
    assert grid_network.seg_length.sum() == pytest.approx(4000 + 565.7 + 200, rel=0.01)


def test_one_way_binds_the_bike_but_not_the_pedestrian(
    point, grid_times: NetworkTravelTimes
) -> None:
    west, east = point(1, 2), point(3, 2)  # on the one-way street, drawn west → east
    with_flow, _ = one(grid_times, TravelMode.bike, west, east)
    against, _ = one(grid_times, TravelMode.bike, east, west)
    assert with_flow == pytest.approx(200 / BIKE.default_speed, rel=0.01)
    # Against the flow the bike either goes round the block or is pushed: never ridden.
    round_block = 400 / BIKE.default_speed
    pushed = 200 / (4.5 * KMH)
    assert against == pytest.approx(min(round_block, pushed), rel=0.01)
    walk_there, _ = one(grid_times, TravelMode.walk, west, east)
    walk_back, _ = one(grid_times, TravelMode.walk, east, west)
    assert walk_there == pytest.approx(walk_back, abs=0.01)
    assert walk_there == pytest.approx(200 * WALK_S_PER_M, rel=0.01)


def test_one_way_binds_a_car_with_no_pushing(point, grid_times: NetworkTravelTimes) -> None:
    west, east = point(1, 2), point(3, 2)
    with_flow, _ = one(grid_times, TravelMode.car, west, east)
    against, _ = one(grid_times, TravelMode.car, east, west)
    assert with_flow == pytest.approx(200 / CAR.speeds["secondary"], rel=0.01)
    assert against == pytest.approx(400 / CAR.speeds["residential"], rel=0.01)


def test_footways_are_for_feet_not_cars(point, grid_times: NetworkTravelTimes) -> None:
    sw, ne = point(0, 0), point(4, 4)
    walk, _ = one(grid_times, TravelMode.walk, sw, ne)
    car, _ = one(grid_times, TravelMode.car, sw, ne)
    assert walk == pytest.approx(565.7 * WALK_S_PER_M, rel=0.01)  # the diagonal footway
    assert car >= 800 / CAR.speeds["secondary"]  # round the grid


def test_a_point_snaps_onto_the_nearest_street_and_walks_the_last_metres(
    point,
    grid_times: NetworkTravelTimes,
) -> None:
    on_street = point(1.5, 0)
    beside = point(1.5, 0.3)  # 30 m north of the street y=0, 70 m south of y=1
    snapped = grid_times.graph(TravelMode.walk).snap([beside])
    assert snapped.lateral_m[0] == pytest.approx(30, abs=0.5)
    seconds, estimated = one(grid_times, TravelMode.walk, on_street, beside)
    assert not estimated
    assert seconds == pytest.approx(30 * WALK_S_PER_M, rel=0.02)


def test_along_one_street_between_two_crossings(point, grid_times: NetworkTravelTimes) -> None:
    a, b = point(1.2, 0), point(1.7, 0)  # both inside one chain
    there, _ = one(grid_times, TravelMode.walk, a, b)
    assert there == pytest.approx(50 * WALK_S_PER_M, rel=0.02)


def test_off_the_network_falls_back_to_a_straight_line_and_says_so(
    point,
    grid_times: NetworkTravelTimes,
) -> None:
    far_off = point(2, 12)  # 800 m north of the grid, no street near
    seconds, estimated = one(grid_times, TravelMode.walk, point(2, 4), far_off)
    assert estimated
    assert seconds == pytest.approx(800 * WALK.detour_factor / WALK.fallback_speed, rel=0.01)


def test_no_path_between_two_places_falls_back_and_says_so(
    point,
    grid_times: NetworkTravelTimes,
) -> None:
    seconds, estimated = one(grid_times, TravelMode.walk, point(4, 0), point(41, 0))
    assert estimated
    assert seconds == pytest.approx(3700 * WALK.detour_factor / WALK.fallback_speed, rel=0.01)


def test_straight_line_source_flags_every_pair(point) -> None:
    answer = StraightLineTimes().times(TravelMode.bike, [point(0, 0)], [point(3, 4), point(0, 0)])
    assert answer.estimated.all()
    assert answer.seconds[0, 0] == pytest.approx(500 * 1.3 / BIKE.fallback_speed, rel=0.01)
    assert answer.seconds[0, 1] == 0


def test_many_to_many_matches_one_by_one(point, grid_times: NetworkTravelTimes) -> None:
    rng = np.random.default_rng(3)
    points = [point(*xy) for xy in rng.uniform(0, 4, size=(12, 2))]
    bulk = grid_times.times(TravelMode.bike, points, points).seconds
    for i in (0, 5):
        for j in (3, 11):
            alone, _ = one(
                NetworkTravelTimes(grid_times.network), TravelMode.bike, points[i], points[j]
            )
            assert bulk[i, j] == pytest.approx(alone, rel=1e-9)


def test_the_network_cache_round_trips(tmp_path, grid_doc, grid_network: RoadNetwork) -> None:
    source = tmp_path / "grid.geojson"
    source.write_text(json.dumps(grid_doc))
    built = RoadNetwork.load(source, cache_dir=tmp_path / "cache")
    cached = RoadNetwork.load(source, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    assert cached.classes == built.classes
    assert np.array_equal(cached.chain_seg, built.chain_seg)
    assert np.array_equal(cached.seg_length, grid_network.seg_length)


def test_real_almaty_one_way_street(arbat_network: RoadNetwork) -> None:
    times = NetworkTravelTimes(arbat_network)
    net = arbat_network
    oneway = np.flatnonzero(
        (net.seg_oneway == 1)
        & (net.seg_length > 60)
        & np.isin(
            net.seg_class,
            [
                net.classes.index(c)
                for c in ("secondary", "primary", "tertiary")
                if c in net.classes
            ],
        )
    )
    seg = int(oneway[0])
    u, v = net.node_lonlat[net.seg_u[seg]], net.node_lonlat[net.seg_v[seg]]
    a = tuple(u + 0.2 * (v - u))
    b = tuple(u + 0.8 * (v - u))
    with_flow, est = one(times, TravelMode.bike, a, b)
    against, _ = one(times, TravelMode.bike, b, a)
    walk_there, _ = one(times, TravelMode.walk, a, b)
    walk_back, _ = one(times, TravelMode.walk, b, a)
    assert not est
    assert against > with_flow
    assert walk_there == pytest.approx(walk_back)


def test_real_almaty_places_are_on_the_network(arbat_network: RoadNetwork, arbat_box) -> None:
    times = NetworkTravelTimes(arbat_network)
    rng = np.random.default_rng(5)
    lon = rng.uniform(arbat_box[0] + 0.004, arbat_box[2] - 0.004, 20)
    lat = rng.uniform(arbat_box[1] + 0.003, arbat_box[3] - 0.003, 20)
    points = list(zip(lon.tolist(), lat.tolist(), strict=True))
    answer = times.times(TravelMode.walk, points, points)
    assert not answer.estimated.any()
    crow = StraightLineTimes().times(TravelMode.walk, points, points).seconds / WALK.detour_factor
    off_diagonal = ~np.eye(20, dtype=bool)
    # A street route is never shorter than the straight line, and rarely 3× longer.
    assert (answer.seconds[off_diagonal] >= 0.99 * crow[off_diagonal]).all()
    assert np.median(answer.seconds[off_diagonal] / crow[off_diagonal]) < 2.0
