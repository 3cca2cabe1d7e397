"""What the dashboard adds to the shared registries (navigation, permissions, beat)."""
