# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The socket side: HTTP/1.1 keep-alive parsing and writing around ``App.dispatch``.

Kept apart from the app because the drop faults need socket-level control (close without
answering) and the performance target needs each response written in one send.
"""

import http.server
import ipaddress
import logging
import secrets
import socket
import ssl
import sys
import urllib.parse

from .errors import ApiError, bad_request
from .http_types import DROPPED, Request, Response

LOG = logging.getLogger("scaivault.devserver")
MAX_BODY_BYTES = 16 * 1024 * 1024
IDLE_TIMEOUT_SECONDS = 120
LOOPBACK_NAMES = ("localhost",)


def check_loopback(host):
    """This server is for tests: it never listens beyond the machine."""
    if host in LOOPBACK_NAMES:
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError("--host must be a loopback address (127.0.0.1, ::1 or localhost), got %r" % host)


def _too_large():
    return ApiError(413, "request_too_large", "request body is larger than %d bytes" % MAX_BODY_BYTES)


class RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ScaiVaultDev/1.0"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT_SECONDS

    def setup(self):
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            # Deferred from accept() so that a slow TLS client cannot stall the accept loop.
            self.connection.do_handshake()

    def do_GET(self):  # pylint: disable=invalid-name
        self._serve()

    do_PUT = do_POST = do_DELETE = do_PATCH = do_GET

    def _serve(self):
        request_id = "req_" + secrets.token_hex(12)
        try:
            body = self._read_body()
        except ApiError as err:
            # The connection is out of step with the request framing: answer, then close it.
            self.close_connection = True
            self._write(Response(err.status, err.envelope(request_id)), request_id)
            return
        split = urllib.parse.urlsplit(self.path)
        request = Request(
            method=self.command, raw_path=split.path, query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
            headers=self.headers, body=body, client_ip=self.client_address[0], request_id=request_id)
        outcome = self.server.app.dispatch(request)
        if outcome is DROPPED:
            self._drop()
        else:
            self._write(outcome, request_id)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise bad_request("invalid Content-Length header") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise _too_large()
        return self.rfile.read(length) if length else b""

    def _read_chunked(self):
        chunks, total = [], 0
        while True:
            try:
                size = int(self.rfile.readline(1024).split(b";")[0].strip(), 16)
            except ValueError:
                raise bad_request("invalid chunked transfer encoding") from None
            total += size
            if total > MAX_BODY_BYTES:
                raise _too_large()
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _write(self, response, request_id):
        """Status line, headers and body in one send: no Nagle/delayed-ACK stalls, fewer syscalls."""
        body, content_type = response.payload()
        headers = dict(response.headers)
        headers["X-Request-ID"] = request_id
        headers["Content-Length"] = str(len(body))
        if content_type:
            headers.setdefault("Content-Type", content_type)
        headers["Date"] = self.date_time_string()
        headers["Server"] = self.server_version
        if self.close_connection:
            headers["Connection"] = "close"
        reason = self.responses.get(response.status, ("",))[0]
        lines = ["HTTP/1.1 %d %s" % (response.status, reason)] + ["%s: %s" % item for item in headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + body)

    def _drop(self):
        """Close the connection without a byte of answer (the client sees an unknown outcome)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        # Quiet by default: per-request logging costs throughput; errors go through logging.
        if self.server.verbose:
            super().log_message(format, *args)


class DevHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host, port, app, ssl_context=None, verbose=False):
        check_loopback(host)
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.app = app
        self.ssl_context = ssl_context
        self.verbose = verbose
        super().__init__((host, port), RequestHandler)

    def get_request(self):
        sock, address = super().get_request()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        """Clients that vanish or fail the TLS handshake are routine here, not tracebacks."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError, ssl.SSLError)):
            LOG.debug("connection from %s ended: %s", client_address, error)
        else:
            LOG.error("error on connection from %s", client_address, exc_info=True)

    @property
    def port(self):
        return self.server_address[1]


def tls_context(cert_file, key_file):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
