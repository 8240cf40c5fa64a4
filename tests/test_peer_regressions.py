"""Regression tests for the mistakes other CORS libraries shipped (cors-facts §6) that concern the core.

Where the mistake is covered in the file about that feature, the test lives there:

* regexes matched with ``re.match`` — ``test_origins.py::TestRegex``
* wsgicors's fnmatch glob (``https://*example.com``) — ``test_origins.py::TestSubdomainPatterns``
  and ``test_config_errors.py`` (the glob is refused outright)
* jub0bs/cors shared suffixes — ``test_origins.py::test_shared_suffixes_between_exact_origins_never_combine``
* flask-cors ``"OS" in "POST"`` — ``test_preflight.py::test_methods_compare_case_sensitively_like_browsers``
* flask-cors CVE-2024-6839 / 6844 / 6866 and ``/api/*`` vs ``/apiary`` — ``test_resources.py``
* Starlette's missing headers on errors — ``test_actual_requests.py::test_error_statuses_carry_cors_headers``
* flask-cors CVE-2024-6221 (private network on by default) —
  ``test_preflight.py::test_private_network_is_answered_only_when_opted_in_and_asked``

The rest are here.
"""

from __future__ import annotations

import logging

import pytest
import webtest
from support import client, preflight

from cors_wsgi import CORSConfigError, CORSMiddleware, CORSPolicy


def test_star_with_credentials_never_echoes_an_arbitrary_origin() -> None:
    # flask-cors, Starlette and aiohttp-cors echo any origin with credentials when told '*'.
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_origins="*", allow_credentials=True)
    with pytest.raises(CORSConfigError):
        CORSMiddleware(lambda e, s: [], allow_credentials=True)
    # The public default sends a literal '*', which browsers refuse for credentialed requests.
    test_app, _ = client()
    response = test_app.get("/", headers={"Origin": "https://evil.example", "Cookie": "session=1"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_request_data_is_never_logged_raw(caplog: pytest.LogCaptureFixture) -> None:
    # flask-cors CVE-2024-1681: the path and Origin went raw into log lines, so CR/LF forged entries.
    test_app, _ = client(allow_origins=["https://app.example.com"], allow_headers=["X-Token"])
    hostile_origin = "https://evil.example\r\nINFO forged entry"
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        test_app.app(
            {
                "REQUEST_METHOD": "OPTIONS",
                "PATH_INFO": "/\r\nINFO forged path",
                "HTTP_ORIGIN": hostile_origin,
                "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
            },
            lambda status, headers, exc_info=None: None,
        )
        test_app.app(
            {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_ORIGIN": hostile_origin},
            lambda status, headers, exc_info=None: None,
        )
    assert len(caplog.records) == 2
    for record in caplog.records:
        message = record.getMessage()
        assert "\r" not in message
        assert "\n" not in message
        assert "evil.example\\r\\nINFO forged entry" in message


def test_megabyte_of_commas_is_refused_cheaply() -> None:
    # rs/cors CVE-2025-47908: ~1 MB of commas in Access-Control-Request-Headers cost 127 ms and 121 MB.
    test_app, app = client(allow_origins=["https://app.example.com"])
    response = test_app.app(
        {
            "REQUEST_METHOD": "OPTIONS",
            "PATH_INFO": "/",
            "HTTP_ORIGIN": "https://app.example.com",
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
            "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "," * 1_000_000,
        },
        lambda status, headers, exc_info=None: None,
    )
    assert list(response) == []
    assert app.calls == []


def test_preflight_is_answered_before_the_app_can_refuse_it() -> None:
    # flask-cors let auth hooks, redirects and 404/405 answer preflights; here the app never sees them.
    def auth_app(environ: dict[str, object], start_response: object) -> list[bytes]:
        raise AssertionError("the app must not be called for a preflight")

    test_app = webtest.TestApp(CORSMiddleware(auth_app, allow_origins=["https://a.example"]))
    assert preflight(test_app, path="/no/such/route/", origin="https://a.example").status_int == 204
