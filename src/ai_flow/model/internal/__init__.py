"""Building blocks used by the DSL and the scheduler; not part of the user-facing DSL."""
