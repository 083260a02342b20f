"""Pieces of the web layer shared by every area: forms and helpers that belong to no one area."""
