"""The inspector: the Connector made visible (docs/inspector.md).

* :mod:`.recorder` -- the recent events of each connection, bounded;
* :mod:`.core` -- one :class:`~.core.Inspector` per server: when it
  records, the connections list, the counters;
* :mod:`.pipeline_view` -- the configured tree of Service, Connector,
  Engine, Host, Context and Wrapper;
* :mod:`.live` -- the page's WebSocket (``/inspector/live``);
* :mod:`.webapp` -- the servlet classes ``webapps/inspector`` names.
"""
