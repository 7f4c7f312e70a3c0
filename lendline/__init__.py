"""Lendline's composition root: settings, the app factory, embedded services and the CLI."""
