"""channels: see DESIGN.md."""
