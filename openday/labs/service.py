"""Labs: service."""
