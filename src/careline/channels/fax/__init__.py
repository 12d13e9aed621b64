"""Fax: documents rendered to ITU-T T.4 TIFF and handed to HylaFAX or an email gateway."""
