"""The job runner: every registered job, once per city when due, each run in its own transaction."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

import tartip.complaints.jobs  # noqa: F401 - registers the complaints jobs
import tartip.compliance.jobs  # noqa: F401 - registers the compliance evaluation
import tartip.damage.jobs  # noqa: F401 - registers the damage handover jobs
import tartip.feeds.jobs  # noqa: F401 - registers the feed jobs
import tartip.notify.jobs  # noqa: F401 - registers the outbox senders
import tartip.ops.jobs  # noqa: F401 - registers the field-operations jobs
import tartip.portal.jobs  # noqa: F401
import tartip.public.jobs  # noqa: F401
import tartip.reports.jobs  # noqa: F401 - registers the scorecard and report jobs
import tartip.safety.jobs  # noqa: F401 - registers the Vision Zero jobs
import tartip.trips.jobs  # noqa: F401 - registers the MDS pulls and trip retention
import tartip.trips.statistics_jobs  # noqa: F401 - registers the trip rollup
from tartip.cities import service as cities_service
from tartip.core.jobs import REGISTRY, JobContext
from tartip.feeds.http import make_client
from tartip.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Worker:
    """Runs the registered jobs for every city; one failing run never stops the others."""

    settings: Settings
    session_factory: sessionmaker[Session]
    context: JobContext = field(init=False)
    _last_run: dict[tuple[str, int], float] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.context = JobContext(settings=self.settings, http=make_client(self.settings))

    def run_due(self) -> int:
        """Run every job that is due now; returns how many runs there were."""
        with self.session_factory() as db:
            city_ids = [c.id for c in cities_service.list_cities(db)]
        runs = 0
        now = time.monotonic()
        for job in list(REGISTRY.values()):
            for city_id in city_ids:
                last = self._last_run.get((job.name, city_id))
                if last is not None and now - last < job.every_s:
                    continue
                self._last_run[(job.name, city_id)] = now
                self._run_one(job.name, city_id)
                runs += 1
        return runs

    def _run_one(self, name: str, city_id: int) -> None:
        job = REGISTRY[name]
        started = time.perf_counter()
        with self.session_factory() as db:
            try:
                city = cities_service.get(db, city_id=city_id)
                if city is None:
                    return
                job.run(self.context, db, city)
                db.commit()
            except Exception:
                db.rollback()
                log.exception("job %s failed for city %s", name, city_id)
                return
        log.debug(
            "job %s city %s took %.1f ms", name, city_id, 1000 * (time.perf_counter() - started)
        )

    def run_forever(self, stop: threading.Event, tick_s: float = 0.5) -> None:
        """Run due jobs until ``stop`` is set."""
        log.info("worker started with jobs: %s", ", ".join(sorted(REGISTRY)))
        while not stop.is_set():
            self.run_due()
            stop.wait(tick_s)
        self.context.http.close()


def start_in_thread(worker: Worker) -> tuple[threading.Thread, threading.Event]:
    """Run ``worker`` in a daemon thread (the embedded default); set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run_forever, args=(stop,), name="tartip-worker", daemon=True
    )
    thread.start()
    return thread, stop
