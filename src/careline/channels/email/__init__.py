"""Email adapters: SMTP out, SMTP in, IMAP polling and MIME parsing."""
