"""What anyone may see: the public page and the open-data API (aggregated, small counts hidden)."""
