"""Figures about the operator's work and the companies: the scorecard, reports, dashboards."""
