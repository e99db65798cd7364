"""Travel profiles: which OSM road classes each travel mode may use, how fast, and one-way rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from tartip.ops.dispatch.model import TravelMode

KMH = 1 / 3.6

# Geofabrik `fclass` values (from the OSM highway tag) grouped by who may use them.
FOOT_ONLY = frozenset({"footway", "pedestrian", "steps", "path", "bridleway", "cycleway"})
MOTORWAYS = frozenset({"motorway", "motorway_link"})


@dataclass(frozen=True)
class ModeProfile:
    """How one travel mode uses the network (speeds in m/s per road class)."""

    mode: TravelMode
    default_speed: float
    speeds: dict[str, float] = field(default_factory=dict)
    forbidden: frozenset[str] = frozenset()
    # One-way streets bind vehicles on the carriageway, never someone on foot.
    oneway_binds: bool = True
    # Against a one-way street an e-bike is pushed on the pavement at walking pace (legal),
    # as cycle routers do; a car may not. None = forbidden.
    contraflow_speed: float | None = None
    oneway_exempt: frozenset[str] = FOOT_ONLY
    use_maxspeed: bool = False
    # Share of the posted limit a car actually makes in city traffic.
    maxspeed_factor: float = 0.55
    # Off the network (the last metres from the street into a courtyard) everyone walks.
    access_speed: float = 4.5 * KMH
    # Straight line × detour at this speed when a point is off the network or unreachable.
    fallback_speed: float = 4.5 * KMH
    detour_factor: float = 1.3
    # Searches stop at (crow distance × 1.5 + 300 m) at this speed: slower than usual, because
    # routes use footways, pushes and side streets.
    bound_speed: float = 4.0 * KMH

    def speed(self, fclass: str, maxspeed: float | None) -> float:
        """Speed in m/s on a road of class ``fclass`` (0 when the mode may not use it)."""
        if fclass in self.forbidden:
            return 0.0
        base = self.speeds.get(fclass, self.default_speed)
        if self.use_maxspeed and maxspeed:
            return min(base, maxspeed * KMH * self.maxspeed_factor)
        return base


WALK = ModeProfile(
    mode=TravelMode.walk,
    default_speed=4.5 * KMH,
    speeds={"steps": 2.0 * KMH, "track": 4.0 * KMH},
    forbidden=MOTORWAYS,
    oneway_binds=False,
)

BIKE = ModeProfile(
    mode=TravelMode.bike,
    default_speed=16.0 * KMH,
    speeds={
        "cycleway": 18.0 * KMH,
        "footway": 9.0 * KMH,
        "pedestrian": 8.0 * KMH,
        "path": 9.0 * KMH,
        "living_street": 10.0 * KMH,
        "service": 12.0 * KMH,
        "track": 9.0 * KMH,
        "steps": 1.5 * KMH,
        "bridleway": 8.0 * KMH,
    },
    forbidden=MOTORWAYS,
    contraflow_speed=4.5 * KMH,
    fallback_speed=12.0 * KMH,
    bound_speed=9.0 * KMH,
)

CAR = ModeProfile(
    mode=TravelMode.car,
    default_speed=25.0 * KMH,
    speeds={
        "motorway": 60.0 * KMH,
        "trunk": 45.0 * KMH,
        "primary": 35.0 * KMH,
        "secondary": 30.0 * KMH,
        "tertiary": 28.0 * KMH,
        "residential": 20.0 * KMH,
        "living_street": 10.0 * KMH,
        "service": 12.0 * KMH,
        "track": 10.0 * KMH,
    },
    forbidden=FOOT_ONLY,
    oneway_exempt=frozenset(),
    use_maxspeed=True,
    fallback_speed=20.0 * KMH,
    bound_speed=15.0 * KMH,
)

PROFILES: dict[TravelMode, ModeProfile] = {p.mode: p for p in (WALK, BIKE, CAR)}
