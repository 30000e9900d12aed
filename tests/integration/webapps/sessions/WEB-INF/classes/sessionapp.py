"""Servlets and a listener exercising HTTP sessions (see
tests/integration/test_sessions.py). Every answer is JSON."""

import json

from catalina_py.servlet import (
    HttpServlet,
    HttpSessionAttributeListener,
    HttpSessionIdListener,
    HttpSessionListener,
)


def record(session, *entry):
    context = session.get_servlet_context()
    events = context.get_attribute("session_events")
    if events is None:
        events = []
        context.set_attribute("session_events", events)
    events.append(list(entry))


class SessionEvents(HttpSessionListener, HttpSessionAttributeListener, HttpSessionIdListener):
    """Records session events as [kind, session id, details...]."""

    def session_created(self, event):
        record(event.get_session(), "created", event.get_session().get_id())

    def session_destroyed(self, event):
        session = event.get_session()
        record(session, "destroyed", session.get_id(), session.get_attribute("count"))

    def attribute_added(self, event):
        record(event.get_session(), "added", event.get_session().get_id(), event.get_name())

    def attribute_removed(self, event):
        record(event.get_session(), "removed", event.get_session().get_id(), event.get_name())

    def session_id_changed(self, event, old_session_id):
        record(event.get_session(), "id_changed", old_session_id, event.get_session().get_id())


class Opaque:
    """Not plain data: cannot be saved across a restart."""


class SessionServlet(HttpServlet):
    def do_get(self, request, response):
        action = (request.get_path_info() or "/")[1:]
        handler = getattr(self, "action_" + action, None)
        if handler is None:
            response.send_error(404, f"no action {action!r}")
            return
        result = handler(request, response)
        if result is not None:
            response.set_content_type("application/json")
            response.get_writer().write(json.dumps(result))

    @staticmethod
    def describe(request, session):
        return {
            "id": None if session is None else session.get_id(),
            "requested": request.get_requested_session_id(),
            "requested_valid": request.is_requested_session_id_valid(),
            "from_cookie": request.is_requested_session_id_from_cookie(),
            "from_url": request.is_requested_session_id_from_url(),
        }

    def action_counter(self, request, response):
        session = request.get_session()
        count = (session.get_attribute("count") or 0) + 1
        session.set_attribute("count", count)
        return dict(self.describe(request, session), count=count, new=session.is_new())

    def action_peek(self, request, response):
        session = request.get_session(False)
        result = self.describe(request, session)
        if session is not None:
            result["count"] = session.get_attribute("count")
            result["data"] = session.get_attribute("data")
            result["opaque"] = session.get_attribute("opaque") is not None
            result["interval"] = session.get_max_inactive_interval()
        return result

    def action_link(self, request, response):
        request.get_session()
        return {"url": response.encode_url("counter?x=1"),
                "redirect": response.encode_redirect_url("/sessions/s/counter"),
                "foreign": response.encode_url("/other/page")}

    def action_redirect(self, request, response):
        request.get_session()
        response.send_redirect(response.encode_redirect_url("counter"))

    def action_invalidate(self, request, response):
        session = request.get_session(False)
        if session is None:
            return {"invalidated": None}
        session.invalidate()
        return {"invalidated": session.get_id(), "after": request.get_session(False) is not None}

    def action_change(self, request, response):
        session = request.get_session(False)
        old = session.get_id()
        new = request.change_session_id()
        return {"old": old, "new": new, "id": request.get_session(False).get_id()}

    def action_short(self, request, response):
        session = request.get_session()
        session.set_max_inactive_interval(1)
        return {"id": session.get_id()}

    def action_store(self, request, response):
        session = request.get_session()
        session.set_attribute("data", {"user": "ann", "items": [1, 2.5, None, True]})
        session.set_attribute("opaque", Opaque())
        return {"id": session.get_id()}

    def action_events(self, request, response):
        return request.get_servlet_context().get_attribute("session_events") or []
