"""Reelscan ml-service: stateless inference behind a GPU semaphore."""

__version__ = "0.1.0"
