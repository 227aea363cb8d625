"""Labs: forms."""
