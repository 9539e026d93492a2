"""Reelscan's shared package: the framework-free domain plus schemas, ports and adapters."""
