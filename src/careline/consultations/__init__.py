"""Direct phone consultations with doctors, whose own numbers stay hidden."""
