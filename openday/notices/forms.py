"""Notices: forms."""
