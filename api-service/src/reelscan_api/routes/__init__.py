from reelscan_api.routes import artifacts, health, tasks, videos

ROUTERS = (health.router, videos.router, tasks.router, artifacts.router)
