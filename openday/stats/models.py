"""Stats: models."""
