"""A crowded city: zoomed out, the map draws the server's clusters; zoomed in, single vehicles."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PER_COMPANY, Server
from tests.e2e.test_map import sign_in

# One worker runs them all; SQLite is enough here (the cluster SQL is tested on both databases).
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.parametrize("server", ["sqlite"], indirect=True),
]
CROWD = 900


def cluster_counts(page: Page) -> list[int]:
    counts = page.get_by_test_id("cluster").evaluate_all(
        "nodes => nodes.map(n => Number(n.dataset.count))"
    )
    return [int(n) for n in counts]


def wait_for_cluster_sum(page: Page, expected: int) -> None:
    page.wait_for_function(
        """n => [...document.querySelectorAll('[data-testid="cluster"]')]
            .reduce((sum, node) => sum + Number(node.dataset.count), 0) === n""",
        arg=expected,
    )


def test_zoomed_out_the_map_shows_clusters_that_add_up(page: Page, server: Server):
    live = sign_in(page)
    expect(live.map).to_have_attribute("data-mode", "clusters")
    expect(live.vehicles()).to_have_count(0)
    wait_for_cluster_sum(page, CROWD + 3 * PER_COMPANY)
    expect(live.status).to_contain_text("Zoom in")


def test_clicking_a_cluster_zooms_in_until_vehicles_show(page: Page, server: Server):
    live = sign_in(page)
    wait_for_cluster_sum(page, CROWD + 3 * PER_COMPANY)
    for _ in range(6):
        if live.map.get_attribute("data-mode") == "vehicles":
            break
        zoom = live.map.get_attribute("data-zoom") or ""
        biggest = max(cluster_counts(page))
        page.locator(f'[data-testid="cluster"][data-count="{biggest}"]').first.click()
        expect(live.map).not_to_have_attribute("data-zoom", zoom)
    expect(live.map).to_have_attribute("data-mode", "vehicles")
    expect(live.vehicles("jet").first).to_be_visible()
