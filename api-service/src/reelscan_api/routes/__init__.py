from reelscan_api.routes import artifacts, health, media, search, tasks, videos

ROUTERS = (health.router, videos.router, tasks.router, artifacts.router, search.router, media.router)
