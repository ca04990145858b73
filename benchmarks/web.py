"""The browser pad's speed: page load to ready, and a recognition's round trip.

    python benchmarks/web.py [--model mnist] [-n 200]

`run_pad.py --serve` in its own process, as a user starts it, and headless Chromium:
- round trip: POST /recognize with a real pen digit's strokes (pendigits, placed on the
  pad's canvas) from this process over one kept-alive connection: the JSON both ways, the
  server drawing the strokes and recognizing them; p50 / p99;
- in the page: the same request made by the page's own fetch (what SPACE sends after the
  strokes are in), timed in the browser with performance.now(); p50 / p99;
- page load to ready: navigation start to the pad's first view shown (the page's
  "drawpad ready" mark): the first load, then the p50 of reloads.
Writes benchmarks/results/web-<model>.json.
"""
from __future__ import annotations

import argparse
import http.client
import json
import time

import numpy as np

from paths import DATA, run  # also puts the project on sys.path


def percentiles(ms) -> dict:
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3)}


def digit_strokes(n: int, seed: int = 0) -> list[list]:
    """n real pen digits' strokes, placed on the pad's canvas (400 px square on the left)."""
    from data_tools.strokes import load_strokes, place_strokes

    samples = load_strokes(DATA / "strokes/pendigits-train.ndjson.gz")
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.choice(len(samples), n, replace=False):
        placed, _ = place_strokes(samples[i], rng, 400, (80, 320), (16, 16))
        out.append([[[round(float(x)), round(float(y))] for x, y in s] for s in placed])
    return out


def round_trips(port: int, digits: list) -> list[float]:
    """ms for each POST /recognize, after a warm-up on the first ten."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    bodies = [json.dumps({"strokes": s}).encode() for s in digits]
    times = []
    for k, body in enumerate(bodies[:10] + bodies):
        t = time.perf_counter()
        connection.request("POST", "/recognize", body, {"Content-Type": "application/json"})
        reply = connection.getresponse()
        data = reply.read()
        if k >= 10:
            times.append((time.perf_counter() - t) * 1e3)
        if reply.status != 200:
            raise SystemExit(f"error: POST /recognize answered {reply.status}: {data[:200]!r}")
    connection.close()
    return times


# In the page: draw one digit into this page's session, then time its "recognize" action n times.
IN_PAGE = """
const [strokes, n, done] = arguments;
(async () => {
  let session = null;
  const post = async (message) => {
    const reply = await (await fetch("pad", {method: "POST", headers: {"Content-Type": "application/json"},
                                             body: JSON.stringify({...message, session})})).json();
    session = reply.session;
    return reply;
  };
  await post({action: "hello"});
  for (const points of strokes) await post({action: "stroke", points});
  const times = [];
  for (let k = 0; k < n + 10; k++) {
    const t = performance.now();
    const reply = await post({action: "recognize"});
    if (k >= 10) times.push(performance.now() - t);
    if (!reply.characters.length) return done({error: reply.message});
  }
  done({times});
})();
"""


def page_loads(driver, url: str, n: int) -> tuple[float, list[float]]:
    """ms from navigation start to the pad's first view: the first load, then n reloads."""
    def load() -> float:
        driver.get(url)
        deadline = time.time() + 30
        while True:
            mark = driver.execute_script(
                "const m = performance.getEntriesByName('drawpad ready'); return m.length ? m[0].startTime : null")
            if mark is not None:
                return mark
            if time.time() > deadline:
                raise SystemExit("error: the page never became ready")
            time.sleep(0.01)
    first = load()
    return first, [load() for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="mnist", help="the model served (default: %(default)s)")
    ap.add_argument("-n", type=int, default=200, help="round trips timed (default: %(default)s)")
    ap.add_argument("--loads", type=int, default=20, help="page reloads timed (default: %(default)s)")
    args = ap.parse_args()
    from browser import PadServer, chromium, missing
    from record import write

    why = missing()
    if why:
        raise SystemExit(f"error: {why}")
    digits = digit_strokes(args.n)
    server = PadServer("--model", args.model, "--no-save")
    driver = None
    try:
        http_ms = round_trips(server.port, digits)
        driver = chromium()
        driver.set_script_timeout(300)
        first, reloads = page_loads(driver, server.url, args.loads)
        result = driver.execute_async_script(IN_PAGE, digits[0], args.n)
        if "error" in result:
            raise SystemExit(f"error: the page read nothing: {result['error']}")
    finally:
        if driver is not None:
            driver.quit()
        server.close()
    figures = {
        "model": args.model,
        "round trip: POST /recognize with strokes (HTTP, JSON, drawing, recognition)": percentiles(http_ms),
        "round trip in the page: its fetch of the recognize action": percentiles(result["times"]),
        "page load to ready": {"first_ms": round(first, 1), "reload_p50_ms": round(float(np.median(reloads)), 1)},
        "round_trips": args.n, "reloads": args.loads,
    }
    print(json.dumps(figures, indent=1))
    write(f"web-{args.model}", figures)


if __name__ == "__main__":
    run(main)
