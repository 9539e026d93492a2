"""Reelscan worker-service: arq workers that run analyses and persist artifacts."""
