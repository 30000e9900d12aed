class NotAListener:
    def context_initialized(self, event):
        pass
