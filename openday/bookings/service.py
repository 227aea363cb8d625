"""Bookings: service."""
