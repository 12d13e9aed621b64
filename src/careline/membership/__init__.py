"""The membership context."""
