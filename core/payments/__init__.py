"""Money in: payment links through a provider, verified webhooks, payments applied to loans."""
