"""Stats: forms."""
