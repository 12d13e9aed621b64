"""The hospital's public directory: profile, departments, doctors, clinics, drugs, documents."""
