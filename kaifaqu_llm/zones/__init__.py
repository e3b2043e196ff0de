"""Zone names, the zone catalog, linking mentions to catalog entries, and the per-zone registry."""
