"""The complaint story of issue 5 on the demo city, through real HTTP and the worker's jobs: a
citizen files from the public form, the complaint is matched to the Jet scooter standing there and
routed without anyone at the desk, a simulated scout is dispatched and does the work, and the
citizen's status page shows the answer (and the answer waits in the outbox for their e-mail)."""

from __future__ import annotations

import html
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.complaints import auto, matches, messages
from tartip.complaints.models import Complaint
from tartip.core.clock import utcnow
from tartip.core.i18n import catalogue
from tartip.core.jobs import REGISTRY, JobContext
from tartip.demo import seed_city
from tartip.feeds.models import Feed
from tartip.notify import service as notify
from tartip.ops import planning, simulate
from tartip.ops.enums import TaskState
from tartip.ops.models import StaffProfile, Task
from tartip.settings import Settings
from tests import builders
from tests.complaints.helpers import csrf_of

STEP = timedelta(seconds=20)


def test_a_citizens_complaint_is_routed_worked_by_a_scout_and_answered(
    app_client: TestClient, db: Session, city: City, settings: Settings
):
    seed_city(db, city, simulator_base="http://127.0.0.1:9")
    now = utcnow()
    simulate.step(db, city=city, at=now)  # the simulated scouts check in where they patrol
    profile = db.scalars(
        select(StaffProfile).where(StaffProfile.simulated.is_(True)).order_by(StaffProfile.id)
    ).first()
    assert profile is not None and profile.last_lon is not None and profile.last_lat is not None
    place = (profile.last_lon + 0.0003, profile.last_lat)
    jet = builders.company(db, city, "jet")
    feed = db.scalars(select(Feed).where(Feed.company_id == jet.id)).one()
    builders.make_vehicle(db, feed, vehicle_id="JET-0815", lon=place[0], lat=place[1])

    sent = app_client.post(
        "/complaints/new",
        data={
            "csrf_token": csrf_of(app_client), "category": "badly_parked",
            "lon": str(place[0]), "lat": str(place[1]), "website": "",
            "description": "Самокат стоит на газоне", "contact_email": "erlan@example.kz",
            "contact_consent": "on",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    complaint = db.scalars(select(Complaint)).one()
    assert [v.vehicle_id for v in matches.vehicles_of(db, complaint_id=complaint.id)] == [
        "JET-0815"
    ]
    links = matches.companies_of(db, complaint_id=complaint.id)
    assert [(link.company_id, link.routed_at is not None) for link in links] == [(jet.id, True)]
    task = db.get(Task, complaint.task_id)
    assert task is not None and task.created_by == auto.AUTO_LABEL

    # The dispatcher gives the task to a scout on shift; the simulated scout walks and works.
    planning.replan(db, city=city, at=now)
    assert task.scout_id is not None
    at = now
    for _ in range(60):
        at += STEP
        simulate.step(db, city=city, at=at)
        if task.state == TaskState.done:
            break
    assert task.state == TaskState.done

    ctx = JobContext(settings=settings, http=None)
    REGISTRY["complaints.follow_tasks"].run(ctx, db, city)
    assert complaint.status == "resolved"
    status = app_client.get(f"/complaints/status/{complaint.reference}")
    assert status.status_code == 200 and 'data-status="resolved"' in status.text
    done_text = catalogue("ru").gettext(messages.TASK_DONE).split("{date}")[0]
    assert done_text.strip() and done_text in status.text
    mails = notify.list_emails(db, city_id=city.id, ref=complaint.reference)
    assert sorted(m.kind for m in mails) == ["complaint.answer", "complaint.receipt"]
    # Jet reads the case, with the answer, in its portal.
    builders.make_user(db, city, username="story-jet", role=Role.company_rep, company_slug="jet")
    builders.login(app_client, "story-jet")
    portal = app_client.get(f"/portal/complaints/{complaint.reference}")
    assert portal.status_code == 200 and 'data-testid="portal-complaint-answer"' in portal.text
    assert complaint.answer in html.unescape(portal.text)
