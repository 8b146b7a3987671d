"""The web app: server-rendered pages (Jinja2, autoescaped), inline SVG charts and HTML forms
over the same Services as the REST API; one stylesheet of our own, no front-end library."""

from tradewind.api.web.actions import router as actions
from tradewind.api.web.views import router as views

routers = (views, actions)

__all__ = ["routers"]
