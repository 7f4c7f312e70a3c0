"""Operations wiring of the composition root: health and readiness, Prometheus metrics,
request context and structured, masked logs (docs/operations.md)."""
