"""The demo's damage settings: each company's agreement, and its webhook at the simulator.

The simulator receives Tartip's webhooks as each company would, at
``{simulator}/{company}/tartip/webhook``, and checks them with its documented secret
``tartip-sim-<slug>-webhook`` (docs/simulator.md); it then sends its crew and the vehicle leaves
the feed, which Tartip takes as the collection.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.damage import agreements
from tartip.damage.models import WebhookEndpoint


@dataclass(frozen=True)
class DemoAgreement:
    """What the demo city agreed with one company."""

    collect_within_h: float
    fleet_cap: int


# Fleet caps from the mobility department's 2024 figures (../shared/DOMAIN.md); collection
# times as a city might set them for the season.
DEMO_AGREEMENTS = {
    "jet": DemoAgreement(collect_within_h=12, fleet_cap=7500),
    "yandex-go": DemoAgreement(collect_within_h=24, fleet_cap=5500),
    "whoosh": DemoAgreement(collect_within_h=8, fleet_cap=6000),
}


def webhook_secret(slug: str) -> str:
    """The simulated company's documented webhook secret."""
    return f"tartip-sim-{slug}-webhook"


def seed_demo_damage(db: Session, city: City, *, simulator_base: str) -> None:
    """Agreements and webhooks for the demo's companies (re-pointed when the port changed)."""
    for company in cities_service.list_companies(db, city_id=city.id):
        terms = DEMO_AGREEMENTS.get(company.slug)
        if terms is None:
            continue
        agreement = agreements.ensure_agreement(db, company=company)
        agreement.collect_within_h = terms.collect_within_h
        agreement.fleet_cap = terms.fleet_cap
        agreement.deliver_webhook = True
        agreement.updated_by = "demo"
        url = f"{simulator_base}/{company.slug}/tartip/webhook"
        endpoint = agreements.get_endpoint(db, company_id=company.id)
        if endpoint is None:
            endpoint = WebhookEndpoint(
                city_id=city.id, company_id=company.id, url=url, secret="", active=True
            )
            db.add(endpoint)
        endpoint.url, endpoint.secret, endpoint.active = url, webhook_secret(company.slug), True
        endpoint.updated_at, endpoint.updated_by = utcnow(), "demo"
    db.flush()
