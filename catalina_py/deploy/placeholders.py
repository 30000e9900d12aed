"""The pages a context that cannot serve answers with: 503 for a webapp
that failed to start, and for one the Manager stopped.

Tomcat does not register a context that failed to start, nor keep one the
Manager stopped in its Mapper, so their requests fall through to ROOT
(404); catalina_py answers 503 with a page that says why (see
docs/deployment.md, "Failures are isolated").
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from ..container.valves.error_report import SERVER_INFO, error_page_html

__all__ = ["failed_answer", "stopped_answer"]

#: What a placeholder context calls for every request: (request, response).
Answer = Callable[[Any, Any], None]  # Any: the container's request and response


def _answer(page: str) -> Answer:
    def answer(request: Any, response: Any) -> None:
        response.set_status(503)
        response.set_content_type("text/html;charset=utf-8")
        response.set_locale("en")
        response.get_writer().write(page)

    return answer


def failed_answer(display: str, log_name: str, show_server_info: bool) -> Answer:
    """The answer to every request of a webapp that failed to start: 503,
    as Tomcat's answer for an unavailable context, with a page saying so
    and naming the log that holds the cause (*log_name*; not the cause
    itself: it may show paths and code to anyone)."""
    message = f"The application [{display}] failed to start"
    description = (
        f"The web application at [{display}] failed to start when it was deployed, so it cannot serve "
        f"requests. The cause is in the server's log: {log_name}. Once it is fixed, the application "
        "is deployed again when its files change (autoDeploy) or when the server restarts."
    )
    return _answer(
        error_page_html(
            503,
            "Service Unavailable",
            html.escape(message),
            None,
            SERVER_INFO if show_server_info else None,
            description=description,
        )
    )


def stopped_answer(display: str) -> Answer:
    """The 503 of a context stopped by the Manager."""
    return _answer(
        error_page_html(
            503,
            "Service Unavailable",
            html.escape(f"The application [{display}] is stopped"),
            None,
            None,
            description="The web application was stopped by the Manager; it serves again once started.",
        )
    )
