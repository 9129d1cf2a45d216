"""Helpers shared by the HTTP tests: signed Slack requests, Teams activities and tokens, limits."""
