"""Credit decisioning: scorecards, business rules, the decision engine and its monitoring."""
