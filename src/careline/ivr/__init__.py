"""The hospital's phone line: self-service flows defined in a flow file, and call records."""
