"""The domain core: services, parsers, queries. Knows nothing of Textual or click."""
