"""Vocabulary of the trips domain: where MDS data came from, and how endpoints are asked."""

from enum import StrEnum

from tartip.feeds.enums import MdsEndpoint


class Source(StrEnum):
    """How a record reached Tartip."""

    provider = "provider"  # pulled from the company's MDS Provider API
    agency = "agency"  # pushed by the company to Tartip's MDS Agency API


# The endpoints asked for one UTC hour at a time, and the query parameter naming the hour
# (``YYYY-MM-DDTHH``), in MDS Provider 2.0 and 1.2 alike.
HOUR_PARAMETER = {
    MdsEndpoint.trips: "end_time",
    MdsEndpoint.events_historical: "event_time",
    MdsEndpoint.telemetry: "telemetry_time",
}
