"""Bookings: forms."""
