"""Parsers that keep positions: every value knows its line and column."""
