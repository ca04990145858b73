"""`drawpad serve`: the pad in a browser, on a small local web server.

Starlette (the ASGI toolkit FastAPI is built on) serves the page (drawpad/web) and a
JSON API; uvicorn runs it. Each page drives its own pad session (drawpad.session)
through drawpad.actions, so a drawing is read exactly as the window reads it: the page
sends strokes, never pixels. Where samples are kept, the pages' samples teach a personal
model in the background as the window's do (drawpad.learner; keys P and B).

    GET  /                 the pad
    POST /pad              one of the page's actions (drawpad.actions): the page's view
    POST /recognize        {"strokes": [[[x, y], ...], ...], "top": 3, "model": "mnist"}, or a
                           PNG (Content-Type: image/png; ?model=&top= in the query): the line's
                           reading, each character's box and guesses. Strokes are in the pad
                           canvas's pixels (960x400); top and model are optional.
    GET  /models           the models served (those `--list` shows) and the default one
    GET  /labels?model=M   a model's labels

Bad input (broken JSON, no strokes, too many points, a model not listed, a body over
LIMIT) is a 400 with {"error": "one line"}; the server goes on serving.
"""
from __future__ import annotations

import json
import socket
import sys
import threading
import uuid
from collections import OrderedDict
from pathlib import Path

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route

from drawpad.actions import BadAction, Models, apply, recognize_image, recognize_strokes
from drawpad.errors import DrawpadError, ImageError
from drawpad.image_io import decode_image
from drawpad.session import Session

WEB = Path(__file__).resolve().parent / "web"
LIMIT = 2_000_000  # bytes in a request: a page of strokes is tens of KB, a pad-sized PNG less
MAX_PIXELS = 40_000_000  # a PNG's width x height
MAX_SESSIONS = 100  # pages open at once; the least recently used is forgotten beyond that
ASSETS = {"/": "index.html", "/pad.js": "pad.js", "/pad.css": "pad.css"}


class Sessions:
    """A pad session per page, by an id the page gets in its first reply."""

    def __init__(self, make):
        self.make = make
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key) -> tuple[str, Session]:
        """The session of `key`; a new one for None or an id not known (the server restarted)."""
        with self._lock:
            if isinstance(key, str) and key in self._sessions:
                self._sessions.move_to_end(key)
                return key, self._sessions[key]
            key = uuid.uuid4().hex
            self._sessions[key] = self.make()
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
            return key, self._sessions[key]


async def body(request: Request) -> bytes:
    """The request's body, refused past LIMIT bytes (before reading it, if it says its size)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > LIMIT:
        raise BadAction(f"the request is {int(declared):,} bytes: at most {LIMIT:,}")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > LIMIT:
            raise BadAction(f"the request is over {LIMIT:,} bytes")
    return bytes(data)


async def json_body(request: Request):
    try:
        return json.loads(await body(request))
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise BadAction(f"the request is not JSON ({str(e).splitlines()[0][:80]})") from None


def png_image(data: bytes) -> np.ndarray:
    """A PNG's pixels (drawpad.image_io); BadAction if it is none or claims too many pixels."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        raise BadAction("not a PNG image")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if width * height > MAX_PIXELS:  # before decoding: a small file can claim a huge image
        raise BadAction(f"the image is {width}x{height}: at most {MAX_PIXELS:,} pixels")
    try:
        return decode_image(data, "the PNG")
    except ImageError:
        raise BadAction("a broken PNG image") from None


def create_app(models: Models, samples: Path | None = None, top: int | None = None,
               loopback: bool = True, learn=None) -> Starlette:
    """The web app over `models` (drawpad.actions.Models): pages start on its start model and
    keep samples under `samples`; `top` guesses (None: the model's default). `loopback`: only
    requests addressed to this machine's own names are served, so a web page whose name was
    made to point here (DNS rebinding) cannot drive the pad or add samples. `learn(None,
    lock=...)`, when samples are kept, gives the drawpad.learner.Learner that learns the
    user's hand from every page's samples (app.state.learner; close() it when done)."""
    default = models.start
    lock = threading.Lock()  # one action at a time: sessions share the recognizers
    # One Learner for all the pages (see drawpad.learner.Learner): one personalization at a time.
    learner = learn(None, lock=lock) if learn is not None and samples is not None else None

    def new_session() -> Session:
        session = Session(models.get(default), top=top, samples=samples)
        if learner is not None:
            learner.attach(session)
        return session
    sessions = Sessions(new_session)

    def served(name) -> object:
        return models.get(default if name is None else name)

    def top_of(value, rec) -> int | None:
        if value is None:
            return top
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= len(rec.labels):
            raise BadAction(f"top must be a whole number from 1 to {len(rec.labels)}")
        return value

    async def asset(request: Request):
        name = ASSETS[request.url.path]
        kind = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}[Path(name).suffix]
        return FileResponse(WEB / name, media_type=f"{kind}; charset=utf-8")

    async def pad(request: Request):
        message = await json_body(request)

        def act():
            if not isinstance(message, dict):
                raise BadAction('an action is a JSON object such as {"action": "recognize"}')
            key, session = sessions.get(message.get("session"))
            return {**apply(session, models, message, learner), "session": key}
        return await run(act)

    async def recognize(request: Request):
        image = None
        if request.headers.get("content-type", "").split(";")[0].strip() == "image/png":
            image = png_image(await body(request))
            options = {"model": request.query_params.get("model"), "top": _int(request.query_params.get("top"))}
        else:
            options = await json_body(request)
            if not isinstance(options, dict):
                raise BadAction('send {"strokes": [[[x, y], ...], ...]} or a PNG (Content-Type: image/png)')

        def read():
            rec = served(options.get("model"))
            count = top_of(options.get("top"), rec)
            result = (recognize_strokes(rec, options.get("strokes"), count) if image is None
                      else recognize_image(rec, image, count))
            return {**result, "model": models.name_of(rec)}
        return await run(read)

    async def model_list(request: Request):
        return JSONResponse({"models": models.names, "default": default})

    async def labels(request: Request):
        name = request.query_params.get("model", default)
        return await run(lambda: {"model": name, "labels": models.get(name).labels})

    async def run(work):
        def locked():
            with lock:
                return work()
        return JSONResponse(await run_in_threadpool(locked))

    async def bad(request: Request, error: Exception):
        return JSONResponse({"error": str(error).splitlines()[0] if str(error) else "bad request"}, 400)

    async def gone(request: Request, error: Exception):  # the page went away mid-request
        return JSONResponse({"error": "the client disconnected"}, 400)

    routes = [Route(path, asset) for path in ASSETS]
    routes += [Route("/pad", pad, methods=["POST"]), Route("/recognize", recognize, methods=["POST"]),
               Route("/models", model_list), Route("/labels", labels)]
    # DrawpadError: a model that fails to load (a broken .h5 in a models folder) is one line too.
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    hosts = ["localhost", "127.0.0.1", "[::1]", "::1", "testserver"] if loopback else ["*"]
    app = Starlette(routes=routes, exception_handlers={DrawpadError: bad, ClientDisconnect: gone},
                    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)])
    app.state.learner = learner
    return app


def _int(value: str | None):
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise BadAction(f"top must be a whole number, not {value[:20]!r}") from None


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port (port 0: any free one). DrawpadError if it cannot."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Replies go out at once (accepted sockets inherit it): with Nagle's algorithm a reply's body
        # waited for the client's delayed ACK of its headers, 40 ms a request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        raise DrawpadError(f"cannot listen on {host}:{port} ({e.strerror or e}); try another --port") from None
    return sock


def is_loopback(host: str) -> bool:
    try:
        return all(info[4][0].startswith("127.") or info[4][0] == "::1"
                   for info in socket.getaddrinfo(host, None))
    except OSError:
        return False


def serve(models: Models, host: str = "127.0.0.1", port: int = 8765, samples: Path | None = None,
          top: int | None = None, out=sys.stdout, learn=None) -> int:
    """Serve the pad until Ctrl+C. The default model is loaded first, so the first page is
    ready when the address is printed. `learn`: see create_app."""
    import uvicorn

    sock = listen(host, port)
    with sock:  # closed however serving ends, a model that fails to load included
        if not is_loopback(host):
            print(f"warning: serving on {host}: anyone who can reach this machine can use the pad "
                  "and add samples", file=sys.stderr, flush=True)
        rec = models.get(models.start)
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        print(f"drawpad serving http://{shown}:{bound}/ ({models.start}, {len(rec.labels)} labels); "
              "Ctrl+C stops", file=out, flush=True)
        app = create_app(models, samples=samples, top=top, loopback=is_loopback(host), learn=learn)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        try:
            server.run(sockets=[sock])
        finally:
            if app.state.learner is not None:
                app.state.learner.close()  # a personalization under way stops, removing what it was writing
    return 0
