"""Voicemail for doctors: callers leave messages and hear the doctor's reply by PIN."""
