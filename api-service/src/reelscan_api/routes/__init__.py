from reelscan_api.routes import artifacts, health, media, queues, reprocess, search, tasks, videos

ROUTERS = (health.router, videos.router, reprocess.router, tasks.router, queues.router, artifacts.router,
           search.router, media.router)
