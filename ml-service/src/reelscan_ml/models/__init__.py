"""Models behind one small interface: ``load()`` once (lazily, cached), then ``predict()``."""
