"""The month's feed pulls, as the 5-minute slot sums the scorecard reads.

The pulls themselves are purged after a week, so a past month lives on only in its slot sums
(``tartip.feeds.pull_slots``); the history writes those for each company's GBFS feed. Each slot
holds ten pulls of the vehicles file (one every 30 s, as the demo polls): most bring a new
snapshot, some find it unchanged, a few fail, and one company's feed is down for two hours one
afternoon. A snapshot counts the company's fleet on the street: near its agreed cap, fewer in the
busy hours when more are ridden, and Whoosh a little over its cap on some days.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tartip.demo_history.context import HOURLY, History, fleet_cap, insert_rows
from tartip.feeds.enums import FeedProtocol, PullOutcome
from tartip.feeds.models import Feed, FeedPullSlot
from tartip.feeds.pull_slots import SLOT_S, SlotSums

PULLS_PER_SLOT = 10
OUTCOMES = (PullOutcome.ok, PullOutcome.not_modified, PullOutcome.error)
OUTCOME_SHARES = (0.72, 0.265, 0.015)
# The fleet on the street as a share of the agreed cap, on an ordinary day.
STREET_SHARE = {"jet": 0.9, "yandex-go": 0.86, "whoosh": 0.985}
# At the busiest hour this share of the fleet is out on a trip, not in the feed.
RIDING_AT_PEAK = 0.12
OUTAGE_H = 2


def write_feed_slots(h: History) -> int:
    """Slot sums of each GBFS feed for the month's 5-minute slots; the count of slots written."""
    feeds = h.db.scalars(
        select(Feed)
        .where(Feed.city_id == h.city.id, Feed.protocol == FeedProtocol.gbfs)
        .order_by(Feed.id)
    )
    slugs = {c.id: c.slug for c in h.companies}
    until = min(h.period.end, h.now)
    count = int((until - h.period.start).total_seconds()) // SLOT_S
    down_company = h.company().id
    down_from = h.at(h.days()[h.rng.randrange(len(h.days()))], 14.0)
    down_until = down_from + timedelta(hours=OUTAGE_H)
    written = 0
    for feed in feeds:
        slug = slugs.get(feed.company_id, "")
        cap = fleet_cap(slug)
        starts = [h.period.start + timedelta(seconds=k * SLOT_S) for k in range(count)]
        day_level = h.arrays.normal(STREET_SHARE.get(slug, 0.9), 0.025, h.period.days + 1)
        outcomes = h.arrays.choice(3, size=(count, PULLS_PER_SLOT), p=OUTCOME_SHARES)
        noise = h.arrays.normal(0, 0.004 * cap, (count, PULLS_PER_SLOT))
        rows = []
        for k, start in enumerate(starts):
            local = start.astimezone(h.tz)
            day = (local.date() - h.period.first).days
            busy = HOURLY[local.hour] / HOURLY.max()
            street = cap * (day_level[day] - RIDING_AT_PEAK * busy)
            down = feed.company_id == down_company and down_from <= start < down_until
            sums = SlotSums(h.city.id, feed.id, start)
            for i in range(PULLS_PER_SLOT):
                outcome = PullOutcome.error if down else OUTCOMES[int(outcomes[k, i])]
                sums.add(
                    file="vehicle_status",
                    started_at=start + timedelta(seconds=30 * i),
                    outcome=outcome,
                    records=int(street + noise[k, i]) if outcome is PullOutcome.ok else None,
                    records_rejected=0,
                )
            rows.append(sums.row())
        insert_rows(h.db, FeedPullSlot, rows)
        written += len(rows)
    return written
