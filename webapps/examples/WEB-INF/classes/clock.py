"""Long polling, the way real-time pages worked before WebSocket: each
request to ``/async/clock`` is parked with ``start_async()``; a background
greenlet completes every parked request once a second with the time, and
the page in ``clock.html`` asks again as soon as it gets an answer."""

import json
import threading
import time

import gevent

from catalina_py.servlet import HttpServlet


class LongPollClock(HttpServlet):
    """Answers each poll at the next tick of the clock."""

    def on_init(self):
        self._waiting = []
        self._lock = threading.Lock()
        self._ticker = gevent.spawn(self._tick)

    def do_get(self, request, response):
        context = request.start_async()
        context.set_timeout(10_000)  # the page polls again after a timeout
        with self._lock:
            self._waiting.append(context)

    def _tick(self):
        while True:
            gevent.sleep(1.0 - time.time() % 1.0)
            with self._lock:
                waiting, self._waiting = self._waiting, []
            now = time.strftime("%H:%M:%S")
            for context in waiting:
                try:
                    response = context.get_response()
                    response.set_content_type("application/json")
                    response.get_writer().write(json.dumps({"time": now, "waiting": len(waiting)}))
                    context.complete()
                except Exception:  # the client went away or timed out
                    pass

    def destroy(self):
        self._ticker.kill()
