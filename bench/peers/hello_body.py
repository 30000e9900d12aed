"""The body every server in bench/http_hello.py answers with.

It is the exact page the examples webapp's hello servlet writes
(webapps/examples/WEB-INF/classes/hello.py), 102 bytes of HTML, so every
peer sends a response of the same size.
"""

HELLO_BODY = (
    b"<!doctype html><html><head><title>Hello World!</title></head>" b"<body><h1>Hello World!</h1></body></html>"
)
CONTENT_TYPE = b"text/html;charset=UTF-8"
