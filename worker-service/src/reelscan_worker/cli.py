"""``reelscan-worker``: run one arq worker on the queue GPU_MODE selects."""

from reelscan_worker.worker import main

if __name__ == "__main__":
    main()
