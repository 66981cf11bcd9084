"""Readers for the richer story formats: HTML (AO3 downloads and plain pages) and EPUB."""
