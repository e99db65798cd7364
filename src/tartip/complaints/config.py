"""What the complaints services read from the settings, in one typed object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tartip.complaints.matching import MatchParams
from tartip.core import photos
from tartip.deps import photo_limits
from tartip.settings import Settings


@dataclass(frozen=True)
class ComplaintConfig:
    """Matching, field hours, retention, links and photo storage for complaints."""

    match: MatchParams
    service_start: str = "07:00"
    service_end: str = "23:00"
    retention_days: int = 90
    public_base_url: str = "http://127.0.0.1:8000"
    media_root: Path = Path("var")
    media_roots: tuple[Path, ...] = (Path("var"),)
    photo_limits: photos.PhotoLimits = photos.PhotoLimits()

    @classmethod
    def from_settings(cls, settings: Settings) -> ComplaintConfig:
        """The configuration ``settings`` describe."""
        return cls(
            match=MatchParams(
                radius_m=settings.complaint_match_radius_m,
                window=timedelta(seconds=settings.complaint_match_window_s),
                live_for=timedelta(seconds=settings.complaint_live_s),
                lookback=timedelta(seconds=settings.complaint_history_lookback_s),
            ),
            service_start=settings.complaint_service_start,
            service_end=settings.complaint_service_end,
            retention_days=settings.complaint_contact_retention_days,
            public_base_url=settings.public_base_url.rstrip("/"),
            media_root=settings.media_root,
            media_roots=settings.media_roots,
            photo_limits=photo_limits(settings),
        )

    def status_url(self, reference: str) -> str:
        """The public status page of a complaint."""
        return f"{self.public_base_url}/complaints/status/{reference}"
