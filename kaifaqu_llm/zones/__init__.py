"""Zone names, places (a gazetteer of China's divisions), the zone catalog, linking mentions to catalog entries, and the per-zone registry."""
