"""One analyzer per endpoint: validate the config, run the model, return items."""

from reelscan_ml.analyzers.base import ANALYZERS, Analyzer, AnalyzerOutput

__all__ = ["ANALYZERS", "Analyzer", "AnalyzerOutput"]
