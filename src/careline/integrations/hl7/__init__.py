"""HL7 v2 over MLLP: framing, message parsing and building, the listener and the sender."""
