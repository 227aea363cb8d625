"""GET /api/v1/cities (the geo issue)."""
