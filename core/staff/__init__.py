"""Staff users: who may act in the console and API, and in which role."""
