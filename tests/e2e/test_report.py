"""An official reads a month's report in a real browser, on both databases: in Russian, with the
headline figures, the records behind a figure (their total is the figure), and the PDF and XLSX
downloaded from the page and read back."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.complaints.enums import ComplaintCategory, ComplaintSource, ComplaintStatus
from tartip.complaints.models import Complaint
from tests import builders
from tests.e2e.conftest import Server
from tests.e2e.pages.login_page import LoginPage
from tests.e2e.pages.report_pages import RecordsPage, ReportPage
from tests.reports import helpers
from tests.reports.helpers import at

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

OFFICIAL = "e2e-report-official"
MONTH = "2026-06"
ALMALY = (76.9057, 43.2520)
MEDEU = (76.96, 43.25)
# Scooters put in order in June: two tasks on 3 June, and one finished at 23:30 on 30 June (local
# time: still June, though it is 18:30 UTC); a task finished at 00:10 on 1 July is July's.
JUNE_PUT_IN_ORDER = 700 + 534 + 6
COMPLAINTS_RU = re.compile("Обращения")


def seed_more(db: Session, city: City) -> None:
    """An official of the city, and June 2026's work, complaints, handovers and trips."""
    builders.make_user(db, city, username=OFFICIAL, role=Role.city_viewer)
    jet = builders.company(db, city, "jet")
    whoosh = builders.company(db, city, "whoosh")
    helpers.put_in_order(db, {jet: 700, whoosh: 534}, at(days=2, hours=12))
    helpers.put_in_order(db, {jet: 6}, at(days=29, hours=23, minutes=30))
    helpers.put_in_order(db, {jet: 5}, at(days=30, minutes=10))
    for n, (source, place, closed) in enumerate(
        [
            (ComplaintSource.citizen, ALMALY, at(days=4, hours=5)),
            (ComplaintSource.police, ALMALY, None),
            (ComplaintSource.government, MEDEU, None),
        ]
    ):
        received = at(days=4 + n, hours=10)
        db.add(
            Complaint(
                city_id=city.id,
                reference=f"E2E-R-{n}",
                source=source,
                category=ComplaintCategory.badly_parked,
                status=ComplaintStatus.resolved if closed else ComplaintStatus.received,
                lon=place[0],
                lat=place[1],
                occurred_at=received,
                received_at=received,
                due_at=received + timedelta(days=1),
                closed_at=closed,
            )
        )
    helpers.handover(db, jet, at(days=5), collected=at(days=5, hours=6))
    helpers.handover(db, whoosh, at(days=6))
    helpers.handover(db, whoosh, at(days=7), cancelled=True)  # withdrawn: no handover
    helpers.trips(db, jet, date(2026, 6, 3), 900)


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def test_an_official_reads_the_month_in_russian_and_opens_the_records(page: Page, server: Server):
    LoginPage(page).open().sign_in(OFFICIAL)
    report = ReportPage(page).open_month(MONTH)
    report.choose_language("ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(report.period).to_have_text(MONTH)
    expect(page.get_by_test_id("section-complaints").locator("h2")).to_have_text(COMPLAINTS_RU)
    assert report.figure_value("put_in_order.total") == JUNE_PUT_IN_ORDER
    assert report.figure_value("complaints.total") == 3
    assert report.figure_value("complaints.government") == 2  # the police and an akimat
    assert report.figure_value("damage.handed_over") == 2
    assert report.figure_value("trips.total") == 900
    # Complaints by district: the two about Almaly in the city's Russian name of the district.
    almaly = report.table_row("complaints.by_district", "Алмалинский район")
    expect(almaly.locator("td").nth(1)).to_have_text("2")

    report.figure("put_in_order.total").click()
    records = RecordsPage(page)
    assert records.total == JUNE_PUT_IN_ORDER
    expect(records.rows).to_have_count(2)  # one row per work log; July's is not among them
    page.go_back()
    almaly.locator("td").nth(1).get_by_role("link").click()
    records = RecordsPage(page)
    assert records.total == 2
    expect(records.rows).to_have_count(2)
    expect(records.rows.first).to_contain_text("E2E-R-0")


def test_the_official_downloads_the_pdf_and_xlsx_in_russian(
    page: Page, server: Server, tmp_path: Path
):
    LoginPage(page).open().sign_in(OFFICIAL)
    report = ReportPage(page).open_month(MONTH)
    report.choose_language("ru")
    pdf = report.download("pdf", tmp_path)
    assert pdf.name == f"tartip-almaty-{MONTH}-ru.pdf"
    text = pdf_text(pdf)
    assert "Город: Алматы" in text and COMPLAINTS_RU.search(text)
    assert f"{JUNE_PUT_IN_ORDER:,}".replace(",", " ") in text
    assert "Алмалинский район" in text

    book = load_workbook(report.download("xlsx", tmp_path))
    assert book.worksheets[0].title == "Об отчёте"
    rows = [r for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)]
    put_in_order = [
        r for r in rows if any(str(c).endswith(f"put_in_order?start={MONTH}-01&end={MONTH}-30")
                               for c in r if c)
    ]  # fmt: skip
    assert JUNE_PUT_IN_ORDER in put_in_order[0]
    district = next(r for r in rows if r and r[0] == "Алмалинский район")
    assert district[1] == 2 and isinstance(district[1], int)
