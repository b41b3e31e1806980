"""The rule set's life: load (positions kept) → validate → compile → prove (examples) → publish."""
