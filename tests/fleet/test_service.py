"""Fleet queries on both databases: filters, paging, scope, history, counts and grid clusters."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.errors import InvalidInput, NotFound
from tartip.fleet import service as fleet_service
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.fleet.service import BBox, VehicleFilter
from tests import builders

CENTRE = (76.9286, 43.2567)


def supervisor(city: City) -> Scope:
    return Scope(user_id=None, username="sup", role=Role.supervisor, city_id=city.id)


def rep(city: City, company_id: int) -> Scope:
    return Scope(
        user_id=None, username="rep", role=Role.company_rep, city_id=city.id, company_id=company_id
    )


def stale_before() -> datetime:
    return fleet_service.stale_cutoff(now=utcnow(), stale_after_s=300, refresh_s=300)


def listed(db: Session, scope: Scope, **filters) -> list[str]:
    page = fleet_service.list_vehicles(
        db, scope=scope, filters=VehicleFilter(**filters), stale_before=stale_before(), limit=1000
    )
    return sorted(r.vehicle.vehicle_id for r in page.rows)


@pytest.fixture
def fleet(db: Session, city: City) -> dict[str, object]:
    """Two Jet, two Whoosh and one Yandex Go vehicle, one of each kind of oddity."""
    jet = builders.make_feed(db, builders.company(db, city, "jet"))
    whoosh = builders.make_feed(db, builders.company(db, city, "whoosh"))
    yandex = builders.make_feed(db, builders.company(db, city, "yandex-go"))
    lon, lat = CENTRE
    builders.make_vehicle(db, jet, vehicle_id="jet-1", lon=lon, lat=lat)
    builders.make_vehicle(
        db, jet, vehicle_id="jet-2", lon=lon + 0.05, lat=lat, status=VehicleStatus.disabled
    )
    builders.make_vehicle(db, whoosh, vehicle_id="whoosh-1", lon=lon, lat=lat + 0.01, is_stale=True)
    builders.make_vehicle(
        db,
        whoosh,
        vehicle_id="whoosh-2",
        lon=lon - 0.02,
        lat=lat,
        status=VehicleStatus.reserved,
        seen_at=utcnow() - timedelta(hours=1),  # no poll has refreshed it: stale too
    )
    builders.make_vehicle(db, yandex, vehicle_id="yandex-1", lon=lon, lat=lat - 0.01)
    builders.make_vehicle(db, yandex, vehicle_id="yandex-gone", lon=lon, lat=lat, in_feed=False)
    return {"jet": jet, "whoosh": whoosh, "yandex": yandex}


def test_lists_only_vehicles_in_the_feed_by_default(db: Session, city: City, fleet):
    scope = supervisor(city)
    assert listed(db, scope) == ["jet-1", "jet-2", "whoosh-1", "whoosh-2", "yandex-1"]
    assert "yandex-gone" in listed(db, scope, in_feed_only=False)


def test_filters_by_company_status_and_staleness(db: Session, city: City, fleet):
    scope = supervisor(city)
    assert listed(db, scope, companies=("jet", "yandex-go")) == ["jet-1", "jet-2", "yandex-1"]
    assert listed(db, scope, statuses=(VehicleStatus.disabled, VehicleStatus.reserved)) == [
        "jet-2",
        "whoosh-2",
    ]
    assert listed(db, scope, stale=True) == ["whoosh-1", "whoosh-2"]
    assert listed(db, scope, stale=False) == ["jet-1", "jet-2", "yandex-1"]
    assert listed(db, scope, companies=("nobody",)) == []


def test_filters_by_bounding_box(db: Session, city: City, fleet):
    lon, lat = CENTRE
    box = BBox(lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.02)
    assert listed(db, supervisor(city), bbox=box) == ["jet-1", "whoosh-1"]


def test_pages_in_a_stable_order_with_the_total(db: Session, city: City, fleet):
    scope = supervisor(city)
    seen: list[str] = []
    for offset in (0, 2, 4):
        page = fleet_service.list_vehicles(
            db,
            scope=scope,
            filters=VehicleFilter(),
            stale_before=stale_before(),
            offset=offset,
            limit=2,
        )
        assert page.total == 5
        seen += [r.vehicle.vehicle_id for r in page.rows]
    assert sorted(seen) == listed(db, scope) and len(set(seen)) == 5


def test_stale_flag_is_read_from_the_row_and_its_age(db: Session, city: City, fleet):
    page = fleet_service.list_vehicles(
        db, scope=supervisor(city), filters=VehicleFilter(), stale_before=stale_before()
    )
    stale = {r.vehicle.vehicle_id: r.stale for r in page.rows}
    assert stale == {
        "jet-1": False,
        "jet-2": False,
        "whoosh-1": True,
        "whoosh-2": True,
        "yandex-1": False,
    }


def test_a_company_representative_sees_only_their_company(db: Session, city: City, fleet):
    whoosh = builders.company(db, city, "whoosh")
    scope = rep(city, whoosh.id)
    assert listed(db, scope) == ["whoosh-1", "whoosh-2"]
    assert listed(db, scope, companies=("jet",)) == []
    jet_vehicle = fleet_service.list_vehicles(
        db,
        scope=supervisor(city),
        filters=VehicleFilter(companies=("jet",)),
        stale_before=stale_before(),
    ).rows[0]
    with pytest.raises(NotFound):
        fleet_service.get_or_raise(
            db, scope=scope, vehicle_id=jet_vehicle.vehicle.id, stale_before=stale_before()
        )
    assert [c.slug for c in fleet_service.list_companies(db, scope=scope)] == ["whoosh"]
    counts = fleet_service.summarise(db, scope=scope, stale_before=stale_before())
    assert [(c.company.slug, c.total) for c in counts] == [("whoosh", 2)]


def test_another_citys_vehicles_are_invisible(db: Session, city: City, fleet):
    elsewhere = Scope(user_id=None, username="x", role=Role.supervisor, city_id=city.id + 10_000)
    assert listed(db, elsewhere) == []


def test_one_vehicle_comes_with_its_recent_history_newest_first(db: Session, city: City, fleet):
    vehicle = builders.make_vehicle(db, fleet["jet"], vehicle_id="jet-h", lon=76.9, lat=43.25)
    now = utcnow()
    builders.make_vehicle_change(db, vehicle, kind=ChangeKind.appeared, at=now - timedelta(hours=2))
    builders.make_vehicle_change(
        db,
        vehicle,
        kind=ChangeKind.status_changed,
        at=now - timedelta(hours=1),
        status=VehicleStatus.disabled,
        previous_status=VehicleStatus.available,
    )
    for i in range(fleet_service.HISTORY_LIMIT + 3):
        builders.make_vehicle_change(
            db, vehicle, kind=ChangeKind.moved, at=now - timedelta(hours=3, minutes=i)
        )
    detail = fleet_service.get_or_raise(
        db, scope=supervisor(city), vehicle_id=vehicle.id, stale_before=stale_before()
    )
    assert detail.row.vehicle.vehicle_id == "jet-h" and detail.row.company.slug == "jet"
    assert len(detail.history) == fleet_service.HISTORY_LIMIT
    assert [c.kind for c in detail.history[:2]] == [ChangeKind.status_changed, ChangeKind.appeared]
    assert all(a.at >= b.at for a, b in zip(detail.history, detail.history[1:], strict=False))


def test_summary_counts_by_company_and_status(db: Session, city: City, fleet):
    counts = {
        c.company.slug: c
        for c in fleet_service.summarise(db, scope=supervisor(city), stale_before=stale_before())
    }
    assert set(counts) == {"jet", "whoosh", "yandex-go"}
    assert counts["jet"].by_status == {
        VehicleStatus.available: 1,
        VehicleStatus.reserved: 0,
        VehicleStatus.disabled: 1,
    }
    assert (counts["jet"].total, counts["jet"].stale) == (2, 0)
    assert (counts["whoosh"].total, counts["whoosh"].stale) == (2, 2)
    assert counts["yandex-go"].total == 1  # the one that left the feed is not counted


@pytest.mark.parametrize("zoom", [0, 10, 13, 16, 20])
def test_cluster_counts_add_up_to_the_raw_count(db: Session, city: City, fleet, zoom: int):
    box = BBox(76.7, 43.1, 77.2, 43.4)
    grid = fleet_service.cluster(
        db,
        scope=supervisor(city),
        filters=VehicleFilter(bbox=box),
        zoom=zoom,
        stale_before=stale_before(),
    )
    assert grid.total == 5
    per_company: dict[str, int] = {}
    for cell in grid.cells:
        assert sum(cell.by_company.values()) == cell.count
        assert cell.cell.min_lon <= cell.lon <= cell.cell.max_lon
        assert cell.cell.min_lat <= cell.lat <= cell.cell.max_lat
        for slug, n in cell.by_company.items():
            per_company[slug] = per_company.get(slug, 0) + n
    assert per_company == {"jet": 2, "whoosh": 2, "yandex-go": 1}
    assert grid.bbox is not None and grid.bbox.min_lon <= box.min_lon


def test_clusters_merge_close_vehicles_when_zoomed_out(db: Session, city: City, fleet):
    scope = supervisor(city)
    wide = fleet_service.cluster(
        db, scope=scope, filters=VehicleFilter(), zoom=8, stale_before=stale_before()
    )
    close = fleet_service.cluster(
        db, scope=scope, filters=VehicleFilter(), zoom=18, stale_before=stale_before()
    )
    assert len(wide.cells) == 1 and wide.cells[0].count == 5
    assert len(close.cells) == 5


def test_clusters_follow_the_filters_and_the_scope(db: Session, city: City, fleet):
    jet = builders.company(db, city, "jet")
    grid = fleet_service.cluster(
        db,
        scope=rep(city, jet.id),
        filters=VehicleFilter(statuses=(VehicleStatus.available,)),
        zoom=12,
        stale_before=stale_before(),
    )
    assert grid.total == 1
    assert grid.cells[0].by_company == {"jet": 1}


def test_cluster_refuses_an_impossible_zoom(db: Session, city: City):
    with pytest.raises(InvalidInput):
        fleet_service.cluster(
            db, scope=supervisor(city), filters=VehicleFilter(), zoom=40, stale_before=utcnow()
        )


@pytest.mark.parametrize(
    "text",
    ["", "1,2,3", "a,b,c,d", "1,2,3,4,5", "77,43,76,44", "76,44,77,43", "0,0,200,10", "nan,0,1,1"],
)
def test_a_malformed_bbox_is_refused(text: str):
    with pytest.raises(InvalidInput) as raised:
        BBox.parse(text)
    assert raised.value.problems[0].where == "query.bbox"


def test_a_bbox_is_parsed_in_geojson_order():
    assert BBox.parse("76.8, 43.2,77.0,43.3").as_tuple() == (76.8, 43.2, 77.0, 43.3)


def test_cells_look_square_on_a_mercator_map():
    cell_lon, cell_lat = fleet_service.cell_size(12, 43.25)
    assert cell_lat < cell_lon
    assert cell_lon == pytest.approx(360 / 2**12 * fleet_service.CLUSTER_CELL_PX / 256)
