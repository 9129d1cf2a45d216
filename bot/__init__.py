"""Composition root and adapters: CLI, console, and later Slack, Teams and the scheduler."""
