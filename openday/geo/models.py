"""Geo: models."""
