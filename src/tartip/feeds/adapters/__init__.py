"""Feed adapters, one per protocol; the contract is in ``base``.

``ADAPTERS`` maps ``Feed.protocol`` to its adapter class: a new protocol (MDS) is one more entry,
never an ``if protocol == …`` branch.
"""

from __future__ import annotations

from tartip.feeds.adapters.base import FeedAdapter
from tartip.feeds.adapters.gbfs import GbfsAdapter
from tartip.feeds.enums import FeedProtocol

ADAPTERS: dict[FeedProtocol, type[FeedAdapter]] = {FeedProtocol.gbfs: GbfsAdapter}
