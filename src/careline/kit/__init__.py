"""Small building blocks shared by every context: errors, clock, money, text."""
