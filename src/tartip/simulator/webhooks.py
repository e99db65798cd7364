"""Tartip's damage webhooks, received as a sharing company would, at ``/{company}/tartip/webhook``.

Tartip POSTs ``{"id", "type", "created_at", "city", "data"}`` with the headers ``X-Tartip-Event``,
``X-Tartip-Delivery`` and ``X-Tartip-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
"<t>." + raw body)>`` (several ``v1`` are allowed, for a secret being rotated). The receiver:

- answers 401 to a missing or wrong signature, or one made more than ``TOLERANCE_S`` from now
  (a replay); 400 to a body that is not a JSON object; 2xx to accept;
- accepts a delivery id seen before without acting again (Tartip retries until it gets a 2xx);
- on ``damage.handed_over`` finds the vehicle by the code printed on it (``data.vehicle_id``),
  else by ``device_id``, else by its current GBFS id, else (as a crew sent to the place would)
  the company's scooter standing nearest ``data.lat``/``data.lon`` within ``FIND_WITHIN_M``,
  and orders its collection
  ``collect_after_s`` simulated seconds later: the crew takes it off the street (it leaves GBFS,
  an MDS ``maintenance_pick_up`` is emitted and pushed), and it returns repaired 8-36 hours later
  (``provider_drop_off``). A ridden or reserved vehicle is collected once its rider leaves it;
- on ``damage.updated`` with a status that withdraws the handover, cancels a collection not yet
  done; other types are accepted and kept without action;
- keeps the last ``KEPT`` deliveries for ``GET /_control/webhooks``;
- answers Tartip when the company has a Tartip token: acknowledges the handover at once, and
  marks it collected when the crew has it (``POST /api/v1/damage/handovers/{id}/acknowledge``,
  ``…/collect``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import numpy as np
import orjson
from starlette.requests import Request
from starlette.responses import Response

from tartip.core.clock import from_timestamp, utcnow
from tartip.simulator.config import SimulatorConfig
from tartip.simulator.fleet import VehicleState
from tartip.simulator.places import METRES_PER_DEGREE_LAT
from tartip.simulator.simulation import CollectionOrder, OrderStatus, Simulation

log = logging.getLogger(__name__)

TOLERANCE_S = 300
KEPT = 500
MAX_BODY_BYTES = 1_000_000
WITHDRAWN = frozenset({"cancelled", "canceled", "withdrawn", "rejected"})
ANSWER_ATTEMPTS = 8
FIND_WITHIN_M = 30.0
NOTES = {
    "acknowledge": "Crew on its way (simulated company).",
    "collect": "Collected by our crew (simulated company).",
}
JSON = "application/json"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` signature of ``body`` sent at ``timestamp`` (hex HMAC-SHA256)."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def parse_signature(header: str | None) -> tuple[int, list[str]] | None:
    """``(t, [v1, …])`` of an ``X-Tartip-Signature`` header, or None when it is not one."""
    if not header:
        return None
    stamp: int | None = None
    signatures = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) < 12:
            stamp = int(value)
        elif key == "v1" and value:
            signatures.append(value.strip().lower())
    return (stamp, signatures) if stamp is not None and signatures else None


@dataclass
class Delivery:
    """One webhook delivery the simulated company accepted, and what it did about it."""

    delivery_id: str
    event_type: str
    company: str
    received_at: datetime
    simulated_at: float
    data: dict[str, Any]
    vehicle: int | None = None
    action: str = "noted"
    order: CollectionOrder | None = None
    answers: list[str] = field(default_factory=list)
    collect_answered: bool = False

    @property
    def handover_id(self) -> str | None:
        """The handover this delivery is about, as Tartip names it."""
        value = self.data.get("handover_id")
        return None if value is None else str(value)


class WebhookReceiver:
    """Receives every simulated company's webhooks and acts on damage handovers."""

    def __init__(self, simulation: Simulation, config: SimulatorConfig) -> None:
        self.simulation = simulation
        self.config = config
        self.deliveries: deque[Delivery] = deque(maxlen=KEPT)
        self._seen: dict[str, Delivery] = {}
        self._answers: deque[PendingAnswer] = deque()

    async def receive(self, request: Request) -> Response:
        """POST ``/{company}/tartip/webhook``."""
        slug = request.path_params["company"]
        if slug not in self.config.companies:
            return _json(404, {"error": "not_found", "message": f"no company {slug!r}"})
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _json(413, {"error": "too_large", "message": "the body is over 1 MB"})
        refusal = self._check_signature(slug, request.headers.get("x-tartip-signature"), body)
        if refusal:
            log.warning("webhook for %s refused: %s", slug, refusal)
            return _json(401, {"error": "invalid_signature", "message": refusal})
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            payload = None
        if not isinstance(payload, dict):
            return _json(400, {"error": "bad_request", "message": "the body is not a JSON object"})
        delivery_id = str(request.headers.get("x-tartip-delivery") or payload.get("id") or "")
        if not delivery_id:
            return _json(400, {"error": "bad_request", "message": "no delivery id"})
        seen = self._seen.get(delivery_id)
        if seen is not None:
            return _json(200, {"received": delivery_id, "action": seen.action, "duplicate": True})
        event_type = str(request.headers.get("x-tartip-event") or payload.get("type") or "")
        data = payload.get("data")
        delivery = Delivery(
            delivery_id=delivery_id,
            event_type=event_type,
            company=slug,
            received_at=utcnow(),
            simulated_at=self.simulation.timestamp,
            data=data if isinstance(data, dict) else {},
        )
        self._act(delivery)
        self._keep(delivery)
        log.info("webhook %s for %s: %s", event_type, slug, delivery.action)
        return _json(200, {"received": delivery_id, "action": delivery.action})

    def _check_signature(self, slug: str, header: str | None, body: bytes) -> str | None:
        """Why the signature is refused, or None when it is good."""
        parsed = parse_signature(header)
        if parsed is None:
            return "no X-Tartip-Signature header of the form t=<unix seconds>,v1=<hex>"
        stamp, signatures = parsed
        if abs(time.time() - stamp) > TOLERANCE_S:
            return f"the signature's time is more than {TOLERANCE_S} s from now"
        expected = sign(self.config.link(slug).webhook_secret, stamp, body)
        if not any(hmac.compare_digest(expected, s) for s in signatures):
            return "the signature does not match the body and this company's secret"
        return None

    def _keep(self, delivery: Delivery) -> None:
        if len(self.deliveries) == self.deliveries.maxlen:
            self._seen.pop(self.deliveries[0].delivery_id, None)
        self.deliveries.append(delivery)
        self._seen[delivery.delivery_id] = delivery

    def _act(self, delivery: Delivery) -> None:
        index = self.simulation.scenario.company_index(delivery.company)
        if delivery.event_type == "damage.handed_over":
            delivery.vehicle = self.find_vehicle(index, delivery.data)
            if delivery.vehicle is None:
                delivery.action = "vehicle_not_found"
                return
            delivery.order = self.simulation.order_collection(
                delivery.vehicle, after_s=self.config.collect_after_s
            )
            delivery.action = "collection_ordered"
            self._answer(delivery, "acknowledge")
        elif delivery.event_type == "damage.updated":
            status = str(delivery.data.get("status", "")).lower()
            if status in WITHDRAWN and self._cancel(delivery):
                delivery.action = "collection_cancelled"
        else:
            delivery.action = "ignored"

    def _cancel(self, update: Delivery) -> bool:
        """Cancel the collections ordered for the same handover; whether any was cancelled."""
        cancelled = False
        for earlier in self.deliveries:
            order = earlier.order
            if (
                order is not None
                and earlier.company == update.company
                and earlier.handover_id == update.handover_id
                and order.status in (OrderStatus.scheduled, OrderStatus.waiting)
            ):
                order.status = OrderStatus.cancelled
                cancelled = True
        return cancelled

    def find_vehicle(self, index: int, data: dict[str, Any]) -> int | None:
        """The company's vehicle a handover names: code, device_id, GBFS id, else its place."""
        found = self._find_by_name(index, data)
        return found if found is not None else self._find_by_place(index, data)

    def _find_by_name(self, index: int, data: dict[str, Any]) -> int | None:
        ids, fleet = self.simulation.identities, self.simulation.fleet
        names = [data.get(k) for k in ("vehicle_id", "code", "device_id", "gbfs_vehicle_id")]
        for name in (str(n) for n in names if isinstance(n, str) and n.strip()):
            vehicle = ids.by_code(name)
            if vehicle is None:
                vehicle = ids.by_device(name)
            if vehicle is None:
                found = np.flatnonzero((fleet.ids == name.strip()) & (fleet.company == index))
                vehicle = int(found[0]) if len(found) else None
            if vehicle is not None and int(fleet.company[vehicle]) == index:
                return vehicle
        return None

    def _find_by_place(self, index: int, data: dict[str, Any]) -> int | None:
        """The company's scooter on the street nearest the handover's place, if close enough."""
        lat, lon = _number(data.get("lat")), _number(data.get("lon"))
        if lat is None or lon is None:
            return None
        fleet = self.simulation.fleet
        street = np.flatnonzero(
            (fleet.company == index)
            & np.isin(
                fleet.state, [VehicleState.parked, VehicleState.reserved, VehicleState.disabled]
            )
        )
        if len(street) == 0:
            return None
        north = (fleet.lat[street] - lat) * METRES_PER_DEGREE_LAT
        plane = self.simulation.scenario.plane
        east = (fleet.lon[street] - lon) * plane.metres_per_degree_lon
        distance = np.hypot(north, east)
        nearest = int(np.argmin(distance))
        return int(street[nearest]) if distance[nearest] <= FIND_WITHIN_M else None

    # -- answering Tartip ----------------------------------------------------------------------

    def _answer(self, delivery: Delivery, action: str) -> None:
        if delivery.handover_id and self.config.link(delivery.company).tartip_token:
            self._answers.append(PendingAnswer(delivery, action))

    async def flush(self, client: httpx.AsyncClient) -> None:
        """Send the answers that are due to Tartip (acknowledge, collect)."""
        for delivery in self.deliveries:
            order = delivery.order
            if order and order.status == OrderStatus.collected and not delivery.collect_answered:
                delivery.collect_answered = True
                self._answer(delivery, "collect")
        now = time.monotonic()
        for _ in range(len(self._answers)):
            answer = self._answers.popleft()
            if answer.next_at > now:
                self._answers.append(answer)
                continue
            if not await self._send(client, answer):
                answer.attempts += 1
                if answer.attempts < ANSWER_ATTEMPTS:
                    answer.next_at = now + 2.0**answer.attempts
                    self._answers.append(answer)

    async def _send(self, client: httpx.AsyncClient, answer: PendingAnswer) -> bool:
        """POST one answer; True when done (accepted, or refused for good)."""
        delivery = answer.delivery
        token = self.config.link(delivery.company).tartip_token
        if not self.config.tartip_url or not token:
            return False
        url = (
            f"{self.config.tartip_url}/api/v1/damage/handovers/{delivery.handover_id}/"
            f"{answer.action}"
        )
        try:
            response = await client.post(
                url,
                json={"note": NOTES[answer.action]},
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            delivery.answers.append(f"{answer.action}: {type(exc).__name__}")
            return False
        delivery.answers.append(f"{answer.action}: {response.status_code}")
        if response.is_success:
            return True
        # Tartip down or the token not yet valid: try again; any other refusal is final.
        return response.status_code not in (401, 403, 429) and response.status_code < 500

    # -- control -------------------------------------------------------------------------------

    def as_json(self) -> list[dict[str, Any]]:
        """The deliveries kept, newest first, as ``/_control/webhooks`` shows them."""
        return [self._delivery_json(d) for d in reversed(self.deliveries)]

    def _delivery_json(self, delivery: Delivery) -> dict[str, Any]:
        sim, order = self.simulation, delivery.order
        vehicle = delivery.vehicle
        return {
            "delivery_id": delivery.delivery_id,
            "type": delivery.event_type,
            "company": delivery.company,
            "received_at": delivery.received_at.isoformat(),
            "simulated_at": _sim_time(sim, delivery.simulated_at),
            "handover_id": delivery.handover_id,
            "reference": delivery.data.get("reference"),
            "asked_vehicle_id": delivery.data.get("vehicle_id"),
            "vehicle_id": None if vehicle is None else sim.identities.codes[vehicle],
            "device_id": None if vehicle is None else sim.identities.device_ids[vehicle],
            "action": delivery.action,
            "collection": None
            if order is None
            else {
                "status": order.status,
                "due": _sim_time(sim, order.due),
                "done_at": _sim_time(sim, order.done_at),
                "returns_at": _sim_time(sim, order.returns_at),
            },
            "answers": list(delivery.answers),
        }


@dataclass
class PendingAnswer:
    """A call to Tartip still to make for a delivery."""

    delivery: Delivery
    action: str
    attempts: int = 0
    next_at: float = 0.0


def _number(value: object) -> float | None:
    """``value`` as a float when it is a JSON number (not a boolean), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _sim_time(simulation: Simulation, t: float | None) -> str | None:
    if t is None or not math.isfinite(t):
        return None
    return from_timestamp(t).astimezone(simulation.time.tzinfo).isoformat()


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), status, media_type=JSON)
