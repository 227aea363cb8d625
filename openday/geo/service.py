"""Geo: service."""
