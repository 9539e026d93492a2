"""Reelscan api-service: the public REST API and the video-discovery pipeline."""
