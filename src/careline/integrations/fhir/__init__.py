"""FHIR R4: Careline's server face (``/fhir``) and a client for a HIS's FHIR server."""
