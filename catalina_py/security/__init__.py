"""Pure security rules (no I/O): which ``<security-constraint>`` applies to
a request (:mod:`.constraints`) and the HTTP DIGEST computations
(:mod:`.digest`). The authenticator valves in :mod:`catalina_py.authenticator`
apply them."""
