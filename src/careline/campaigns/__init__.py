"""Outbound campaigns: care greetings, reminders and satisfaction surveys."""
