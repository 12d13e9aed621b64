"""The web face of Careline: REST API, portal, staff pages."""
