"""The scheduling context."""
