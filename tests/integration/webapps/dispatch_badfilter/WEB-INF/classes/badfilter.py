"""A filter whose init fails: the context must not start."""

from catalina_py.servlet import Filter


class FailingInitFilter(Filter):
    def init(self, filter_config):
        raise RuntimeError("filter init refused to start")

    def do_filter(self, request, response, chain):
        chain.do_filter(request, response)
