"""Adapters: the ports implemented on PostgreSQL (SQLAlchemy) and arq/Valkey.

Needs the ``adapters`` extra; the domain never imports from here.
"""
