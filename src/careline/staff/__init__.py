"""Staff accounts, roles, sign-in sessions and the audit log of patient-record access."""
