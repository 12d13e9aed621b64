"""Patients: registration, pinyin/phone/ID search, duplicates and merges, CSV import."""
