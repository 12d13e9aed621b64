"""SMS adapters: SMPP 3.4, CMPP 2.0 and a cloud HTTP API."""
