"""What the city agreed with each company (time to collect, delivery, fleet cap), the company's
webhook, and the city's damage policy. Admins change them; each change is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import Company
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden, InvalidInput, Problem
from tartip.damage.intake import DEFAULT_DISABLED_AFTER_H
from tartip.damage.models import CompanyAgreement, DamagePolicy, WebhookEndpoint
from tartip.damage.schemas import AgreementUpdate, PolicyUpdate, WebhookUpdate
from tartip.damage.service import DEFAULT_COLLECT_H
from tartip.notify.service import is_email

SECRET_PREFIX = "whsec_"


def require_admin(scope: Scope) -> None:
    """Raise ``Forbidden`` unless the caller is an admin of the operator."""
    if scope.company_id is not None or scope.role is not Role.admin:
        raise Forbidden("only an admin changes agreements and webhooks")


def new_secret() -> str:
    """A fresh signing secret for a company's webhook."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def get_agreement(db: Session, *, company_id: int) -> CompanyAgreement | None:
    """A company's agreement, if the city has recorded one."""
    stmt = select(CompanyAgreement).where(CompanyAgreement.company_id == company_id)
    return db.scalars(stmt).first()


def ensure_agreement(db: Session, *, company: Company) -> CompanyAgreement:
    """A company's agreement, created with the defaults if there is none yet."""
    found = get_agreement(db, company_id=company.id)
    if found is None:
        found = CompanyAgreement(
            city_id=company.city_id, company_id=company.id, collect_within_h=DEFAULT_COLLECT_H,
            deliver_webhook=False, deliver_email=False,
        )  # fmt: skip
        db.add(found)
        db.flush()
    return found


def fleet_caps(db: Session, *, city_id: int) -> dict[int, int | None]:
    """Each company's fleet cap by company id (None: no cap agreed); read by the scorecard."""
    stmt = select(CompanyAgreement.company_id, CompanyAgreement.fleet_cap).where(
        CompanyAgreement.city_id == city_id
    )
    companies = cities_service.list_companies(db, city_id=city_id)
    caps: dict[int, int | None] = {c.id: None for c in companies}
    caps.update({int(company_id): cap for company_id, cap in db.execute(stmt)})
    return caps


def _snapshot(agreement: CompanyAgreement) -> dict[str, object]:
    return {
        "collect_within_h": agreement.collect_within_h,
        "deliver_webhook": agreement.deliver_webhook,
        "deliver_email": agreement.deliver_email,
        "email": agreement.email,
        "fleet_cap": agreement.fleet_cap,
    }


def update_agreement(
    db: Session, *, scope: Scope, company: Company, data: AgreementUpdate
) -> CompanyAgreement:
    """Change a company's agreement (only the fields given)."""
    require_admin(scope)
    agreement = ensure_agreement(db, company=company)
    before = _snapshot(agreement)
    changes = data.model_dump(exclude_unset=True)
    if "email" in changes:
        email = (changes["email"] or "").strip()
        if email and not is_email(email):
            raise InvalidInput("not an e-mail address", problems=[Problem("email", email)])
        changes["email"] = email or None
    if changes.get("collect_within_h", 0) is None:
        del changes["collect_within_h"]
    wants_email = changes.get("deliver_email", agreement.deliver_email)
    if wants_email and not changes.get("email", agreement.email):
        message = "give an address to deliver by e-mail"
        raise InvalidInput(message, problems=[Problem("email", message)])
    for name, value in changes.items():
        setattr(agreement, name, value)
    agreement.updated_at, agreement.updated_by = utcnow(), scope.username
    audit.record(
        db, actor=scope.actor, action="damage_agreement.update", entity_type="damage_agreement",
        entity_id=agreement.id, city_id=company.city_id, before=before, after=_snapshot(agreement),
    )  # fmt: skip
    db.flush()
    return agreement


# ---- webhooks --------------------------------------------------------------------------------


def get_endpoint(db: Session, *, company_id: int) -> WebhookEndpoint | None:
    """A company's webhook, if one is set."""
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.company_id == company_id)
    return db.scalars(stmt).first()


def _check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        message = "a webhook URL starts with https:// (or http://) and names a host"
        raise InvalidInput(message, problems=[Problem("url", message)])
    return url.strip()


@dataclass(frozen=True)
class EndpointChange:
    """A saved webhook, and its secret when it was just made (shown once to the admin)."""

    endpoint: WebhookEndpoint
    new_secret: str | None


def set_endpoint(
    db: Session, *, scope: Scope, company: Company, data: WebhookUpdate
) -> EndpointChange:
    """Set a company's webhook URL (a secret is made the first time, or when asked to rotate)."""
    require_admin(scope)
    url = _check_url(data.url)
    endpoint = get_endpoint(db, company_id=company.id)
    made: str | None = None
    before: dict[str, object] | None = None
    if endpoint is None:
        made = new_secret()
        endpoint = WebhookEndpoint(
            city_id=company.city_id, company_id=company.id, url=url, secret=made, active=True
        )
        db.add(endpoint)
    else:
        before = {"url": endpoint.url, "active": endpoint.active}
        if data.rotate_secret:
            made = new_secret()
            endpoint.secret = made
    endpoint.url, endpoint.active = url, data.active
    endpoint.updated_at, endpoint.updated_by = utcnow(), scope.username
    db.flush()
    after = {"url": url, "active": data.active, "secret_rotated": made is not None}
    audit.record(
        db, actor=scope.actor, action="damage_webhook.update", entity_type="damage_webhook",
        entity_id=endpoint.id, city_id=company.city_id, before=before, after=after,
    )  # fmt: skip
    return EndpointChange(endpoint=endpoint, new_secret=made)


# ---- the city's policy -------------------------------------------------------------------------


def get_policy(db: Session, *, city_id: int) -> DamagePolicy:
    """The city's damage policy (the defaults, not stored, when none was set)."""
    found = db.scalars(select(DamagePolicy).where(DamagePolicy.city_id == city_id)).first()
    if found is not None:
        return found
    return DamagePolicy(
        city_id=city_id, disabled_after_h=DEFAULT_DISABLED_AFTER_H, escalation_emails=""
    )


def split_addresses(text: str) -> list[str]:
    """Addresses written one per line or separated by commas or semicolons."""
    parts = text.replace(";", ",").replace("\n", ",").split(",")
    return [p.strip() for p in parts if p.strip()]


def escalation_addresses(policy: DamagePolicy) -> list[str]:
    """The supervisors' addresses overdue handovers are e-mailed to."""
    return split_addresses(policy.escalation_emails)


def update_policy(db: Session, *, scope: Scope, data: PolicyUpdate) -> DamagePolicy:
    """Change the city's damage policy."""
    require_admin(scope)
    emails = data.escalation_emails.strip()
    bad = [a for a in split_addresses(emails) if not is_email(a)]
    if bad:
        raise InvalidInput(
            "not an e-mail address", problems=[Problem("escalation_emails", a) for a in bad]
        )
    policy = get_policy(db, city_id=scope.city_id)
    before = {"disabled_after_h": policy.disabled_after_h, "emails": policy.escalation_emails}
    policy.disabled_after_h = data.disabled_after_h
    policy.escalation_emails = emails
    policy.updated_at, policy.updated_by = utcnow(), scope.username
    if policy.id is None:
        db.add(policy)
    db.flush()
    after = {"disabled_after_h": policy.disabled_after_h, "emails": policy.escalation_emails}
    audit.record(
        db, actor=scope.actor, action="damage_policy.update", entity_type="damage_policy",
        entity_id=policy.id, city_id=scope.city_id, before=before, after=after,
    )  # fmt: skip
    return policy
