"""Notification channels: SMS, email and fax ports with their real adapters."""
