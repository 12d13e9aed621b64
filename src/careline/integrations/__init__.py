"""Exchange with the hospital's own systems: FHIR R4 and HL7 v2 over MLLP."""
