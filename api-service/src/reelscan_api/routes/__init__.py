from reelscan_api.routes import (
    artifacts,
    auth,
    events,
    health,
    media,
    queues,
    reprocess,
    search,
    tasks,
    videos,
    webhooks,
)

ROUTERS = (health.router, auth.router, videos.router, reprocess.router, tasks.router, queues.router, webhooks.router,
           artifacts.router, search.router, media.router, events.router)
