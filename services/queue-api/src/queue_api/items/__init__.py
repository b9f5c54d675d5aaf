"""Service items (事项): what a resident comes for, with its number prefix and service time."""
