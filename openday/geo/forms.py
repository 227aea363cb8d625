"""Geo: forms."""
