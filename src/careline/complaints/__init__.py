"""The complaints context."""
