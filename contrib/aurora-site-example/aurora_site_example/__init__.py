"""An example site plugin package for aurora-client-v2 (see README.md)."""
