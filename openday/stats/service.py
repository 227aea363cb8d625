"""Stats: service."""
