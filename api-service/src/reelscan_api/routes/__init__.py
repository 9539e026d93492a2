from reelscan_api.routes import artifacts, health, media, queues, reprocess, search, tasks, videos, webhooks

ROUTERS = (health.router, videos.router, reprocess.router, tasks.router, queues.router, webhooks.router,
           artifacts.router, search.router, media.router)
