"""Matching and extraction: text → Doc → candidates → resolved events (plain records)."""
