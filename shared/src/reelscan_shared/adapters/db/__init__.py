from reelscan_shared.adapters.db.engine import Database
from reelscan_shared.adapters.db.repositories import (
    SqlArtifactRepository,
    SqlTaskRepository,
    SqlVideoRepository,
)
from reelscan_shared.adapters.db.tables import metadata

__all__ = ["Database", "SqlArtifactRepository", "SqlTaskRepository", "SqlVideoRepository", "metadata"]
