"""Any WSGI application, wrapped by CORSMiddleware and served by wsgiref."""

from wsgiref.simple_server import make_server

from cors_wsgi import CORSMiddleware


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"hello": "world"}']


app = CORSMiddleware(
    hello,
    allow_origins=["http://localhost:3000", "https://app.example.com"],
    allow_credentials=True,  # the page may send cookies (fetch(..., {credentials: "include"}))
    allow_headers=["Content-Type", "Authorization"],
    max_age=600,  # browsers may reuse a preflight answer for 10 minutes
)

if __name__ == "__main__":
    with make_server("127.0.0.1", 8000, app) as server:
        print("Serving on http://127.0.0.1:8000")
        server.serve_forever()
