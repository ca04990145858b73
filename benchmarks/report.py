"""README's figures table, written from the latest benchmarks/results/*.json.

    python benchmarks/report.py [--check]

Replaces what stands between the `<!-- figures -->` and `<!-- /figures -->` lines of
README.md. Every number there comes from a file a benchmark wrote (which one, at
which commit, is in the table). --check only says whether README.md is up to date
(exit 1 if not).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
README = RESULTS.parents[1] / "README.md"
START, END = "<!-- figures -->", "<!-- /figures -->"


WEB_HTTP = "round trip: POST /recognize with strokes (HTTP, JSON, drawing, recognition)"
WEB_PAGE = "round trip in the page: its fetch of the recognize action"


def pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def accuracy(a: dict) -> str:
    return f"{pct(a['accuracy'])} ({a['wrong']} wrong of {a['of']:,})"


def digits_gap(f: dict) -> float:
    """The largest difference between the engines' accuracies, in points."""
    return max(abs(f["onnx"][k]["accuracy"] - f["keras"][k]["accuracy"]) * 100 for k in ("mnist_test", "pendigits"))


def hangul_gap(f: dict) -> float:
    rows = [(r["onnx"]["top1"], r["keras"]["top1"]) for r in f["fonts"].values()]
    rows.append((f["phd08_ga_onnx"]["top1"], f["phd08_ga_keras"]["top1"]))
    return max(abs(a - b) * 100 for a, b in rows)


def held_out(model: str):
    """The held-out fonts' row of a model in hangul_accuracy's figures."""
    def shown(f: dict) -> str:
        m = f[f"mean_{model}"]
        return f"{pct(m['top1'])} / {pct(m['top5'])}; {m['weakest_font'].rsplit('.', 1)[0]} {pct(m['weakest_top1'])}"
    return shown


def writers(model: str):
    """The real writers' row of a model in hangul_accuracy's figures."""
    def shown(f: dict) -> str:
        m = f["writers"][f"mean_{model}"]
        return f"{pct(m['top1'])} / {pct(m['top5'])}; {m['weakest_writer']} {pct(m['weakest_top1'])}"
    return shown


def latency_rows(model: str, target_ms: float, target_x: float) -> list:
    name = f"latency-{model}"
    recognize = "recognize (ONNX engine, preprocessing included)"
    return [
        (name, "SPACE to top guesses, p50 / p99 (`Recognizer.recognize`, preprocessing included)",
         lambda f: f"{f[recognize]['p50_ms']:.2f} / {f[recognize]['p99_ms']:.2f} ms",
         f"p50 <= {target_ms} ms", lambda f: f[recognize]["p50_ms"] <= target_ms),
        (name, "of it: preprocessing alone, ONNX engine call alone (p50)",
         lambda f: f"{f['preprocessing alone']['p50_ms']:.2f} ms, {f['ONNX engine call alone']['p50_ms']:.2f} ms",
         "preprocessing <= 0.25 ms", lambda f: f["preprocessing alone"]["p50_ms"] <= 0.25),
        (name, "faster than the original `model.predict`, same run (p50)",
         lambda f: f"{f['speed_up_p50']}x ({f['original: resize + model.predict']['p50_ms']:.1f} ms)",
         f">= {target_x:g}x", lambda f: f["speed_up_p50"] >= target_x),
        (name, "`run_pad.py` to `drawpad ready`; `run_pad.py --image one.png` end to end: fresh clone / "
               "dropped-in .h5 first (converting) and second run",
         lambda f: ("{fresh_clone_ready_s} s / {dropped_in_first_ready_s} s, {dropped_in_second_ready_s} s; "
                    "{fresh_clone_image_s} s / {dropped_in_first_image_s} s, {dropped_in_second_image_s} s").format(
             **f["cold_start"]), "<= 1.0 s; <= 1.5 s (fresh clone)",
         lambda f: f["cold_start"]["fresh_clone_ready_s"] <= 1.0 and f["cold_start"]["fresh_clone_image_s"] <= 1.5),
        (name, "the pad's memory once ready (RSS), ONNX / Keras engine",
         lambda f: "{pad_rss_onnx_mb} / {pad_rss_keras_mb} MB".format(**f["cold_start"]), "", None),
    ]


def line_rows() -> list:
    def kind(key, what, count, points):
        return [
            ("lines", f"{what}: split into the right number of characters; per character in the line / "
                      "alone; whole strings right",
             lambda f: f"{pct(f[key]['right_count'])}; {pct(f[key]['per_character_line'])} / "
                       f"{pct(f[key]['per_character_alone'])}; {pct(f[key]['whole_string'])}",
             f">= {count}%; within {points} points",
             lambda f: f[key]["right_count"] * 100 >= count
             and abs(f[key]["per_character_line"] - f[key]["per_character_alone"]) * 100 <= points),
            ("lines", f"{what}: time a character costs on top of recognizing it alone",
             lambda f: f"{f[key]['ms_per_character_added']:.2f} ms", "<= 1 ms",
             lambda f: f[key]["ms_per_character_added"] <= 1),
        ]
    model = [("lines", "the digit model of the rows below, and the pendigits writers it was trained on",
              lambda f: f"{f['digits_model']}: writers 1-{f['digits_writers_seen']}",
              "writers 16-30 never seen", lambda f: f["digits_writers_seen"] == 15)]
    def hand(f, kind, way):
        return f[f"hand_{kind}"][way]

    def words(f, way):  # whole words right, the right number of characters, per character
        row = hand(f, "words", way)
        return f"{pct(row['whole_string'])}, {pct(row['right_count'])}, {pct(row['per_character'])}"

    def readers(f):
        return ("each writer by the model that never saw them" if f["hand_left_out"]
                else "by a model that learned from fonts only")
    real = [
        ("lines", "real writers' everyday words (their own cells side by side): whole words right, the right "
                  "number of characters, per character; `read_line` with the language model / `recognize_line`",
         lambda f: f"{words(f, 'with_language')} / {words(f, 'recognize_line')} ({readers(f)})",
         ">= 90%, >= 99%", lambda f: hand(f, "words", "with_language")["whole_string"] >= 0.9
         and hand(f, "words", "with_language")["right_count"] >= 0.99),
        ("lines", "real writers' strings of 2-4 random syllables: per character with / without the language model",
         lambda f: f"{pct(hand(f, 'random', 'with_language')['per_character'])} / "
                   f"{pct(hand(f, 'random', 'without_language')['per_character'])}",
         "at most 1 point lower", lambda f: hand(f, "random", "without_language")["per_character"]
         - hand(f, "random", "with_language")["per_character"] <= 0.01),
        ("lines", "`read_line` against `recognize_line`: time added a character (p50, the real writers' words)",
         lambda f: f"{f['hand_words']['read_line_ms_per_character_added_p50']:.2f} ms", "<= 2 ms",
         lambda f: f["hand_words"]["read_line_ms_per_character_added_p50"] <= 2),
    ]
    return model + (kind("digits_strokes", "numbers of 3-7 pen digits of writers 16-30, split from the strokes (the pad)",
                 99.5, 0.5)
            + kind("digits_image", "the same numbers split from the image (`--image --line`)", 99, 0.5)[:1]
            + kind("hangul_image", "words of 2-4 syllables in the held-out fonts", 98, 1) + real)


def personal_rows() -> list:
    def mean(f, key):
        return f["mean"][key]
    return [
        ("personal", "error on each new writer's other digits, before -> after (mean of writers 16-30)",
         lambda f: f"{pct(mean(f, 'own')['before'])} -> {pct(mean(f, 'own')['after'])} "
                   f"({1 - mean(f, 'own')['after'] / mean(f, 'own')['before']:.0%} fewer)",
         "", None),
        ("personal", "of them, the writers it reads worst (>= 5% error before): their error cut (mean)",
         lambda f: f"{f['worst']['cut']:.0%} fewer (writers {', '.join(f['worst']['writers'])})"
         if f["worst"]["writers"] else "not measurable: none is (the worst at "
         f"{pct(max(r['own']['before'] for r in f['writers'].values()))})", ">= 50% fewer",
         lambda f: f["worst"]["cut"] is not None and f["worst"]["cut"] >= 0.5),
        ("personal", "what is forgotten: other new writers / MNIST test error, before -> after",
         lambda f: f"{pct(mean(f, 'other_writers')['before'])} -> {pct(mean(f, 'other_writers')['after'])} / "
                   f"{pct(mean(f, 'mnist')['before'])} -> {pct(mean(f, 'mnist')['after'])}",
         "<= 0.3 points worse", lambda f: all(mean(f, k)["after"] - mean(f, k)["before"] <= 0.003
                                              for k in ("other_writers", "mnist"))),
        ("personal", "one personalization (20 samples), on 2 cores", lambda f: f"{mean(f, 'personalize_s')} s",
         "<= 60 s", lambda f: mean(f, "personalize_s") <= 60),
        *[("personal-hangul", f"Hangul, each real writer as the user of the model that never saw them, {n} of their "
                              "syllables corrected (no --data): error on their other syllables, before -> after (mean)",
           lambda f, n=n: f"{pct(f['mean'][n]['own']['before'])} -> {pct(f['mean'][n]['own']['after'])} "
                          f"({f['mean'][n]['cut']:.0%} fewer)",
           ">= 40% fewer" if n == "200" else "", (lambda f: f["mean"]["200"]["cut"] >= 0.4) if n == "200" else None)
          for n in ("50", "100", "200")],
        ("personal-hangul", "Hangul, 200 corrected: what is forgotten, the other writers' error before -> after; "
                            "one personalization on 2 cores",
         lambda f: f"{pct(f['mean']['200']['other_writers']['before'])} -> "
                   f"{pct(f['mean']['200']['other_writers']['after'])}; {f['mean']['200']['personalize_s']} s",
         "<= 1 point worse; <= 180 s",
         lambda f: f["mean"]["200"]["other_writers"]["after"] - f["mean"]["200"]["other_writers"]["before"] <= 0.01
         and f["mean"]["200"]["personalize_s"] <= 180),
    ]


def whole(f: dict, key: str) -> dict:
    """phd08_convert's whole-process figures with the original pattern or every sample."""
    return f["whole_processes"][key]


def scale_rows() -> list:
    return [
        ("phd08_convert", "`python -m data_tools.phd08` as a user runs it, whole processes on copies of the real "
                          "가.txt, original pattern / every sample: faster than the original's (start-up subtracted)",
         lambda f: "{files} files: {p}x / {e}x ({ps}x / {es}x)".format(
             files=f["whole_processes"]["files"], p=whole(f, "original_pattern")["speed_ratio"],
             e=whole(f, "every_sample")["speed_ratio"],
             ps=whole(f, "original_pattern")["speed_ratio_start_up_subtracted"],
             es=whole(f, "every_sample")["speed_ratio_start_up_subtracted"]),
         ">= 4x / >= 1.5x", lambda f: whole(f, "original_pattern")["speed_ratio"] >= 4
         and whole(f, "every_sample")["speed_ratio"] >= 1.5),
        ("phd08_convert", "the full PHD08 (2,350 files, every sample), projected from those runs: time and peak RSS, "
                          "ours / the original's",
         lambda f: "{o[hours]:.1f} h, {o[peak_rss_mb]:,.0f} MB / {a[hours]:.1f} h, {gb:,.0f} GB{plainly}".format(
             o=whole(f, "every_sample")["full_phd08"]["ours"], a=whole(f, "every_sample")["full_phd08"]["original"],
             gb=whole(f, "every_sample")["full_phd08"]["original"]["peak_rss_mb"] / 1024,
             plainly="; the original is faster per sample: the pad's preprocessing is heavier"
             if "plainly" in f["whole_processes"] else ""), "", None),
        ("phd08_convert", "of a sample's time: parsing / the pad's preprocessing / the original's everything; "
                          "start-up, ours / the original's; peak RSS converting 100 / 2,350 generated dump files",
         lambda f: "{parsing} / {preprocessing} / {original_everything} us; ".format(**f["per_sample_us"])
         + "{ours[seconds]} / {original[seconds]} s; ".format(**f["whole_processes"]["start_up"])
         + f"{f['files_100']['peak_rss_mb']:.0f} / {f['files_2350']['peak_rss_mb']:.0f} MB", "<= 300 MB, flat",
         lambda f: f["files_2350"]["peak_rss_mb"] <= 300),
        ("input_pipeline", "training input: the `tf.data` pipeline alone against the training step, digits / "
                           "Hangul (samples/s)",
         lambda f: " / ".join(f"{f[k]['pipeline_samples_per_s']:,} vs {f[k]['training_samples_per_s']:,.0f} "
                              f"({f[k]['ratio']:.0f}x)" for k in ("digits", "hangul")),
         ">= 3x", lambda f: min(f[k]["ratio"] for k in ("digits", "hangul")) >= 3),
    ]


ROWS = {
    "Digits (`models/mnist.h5`)": [
        ("pad_accuracy-mnist", "MNIST test (10,000, never seen) through the pad's preprocessing",
         lambda f: accuracy(f["onnx"]["mnist_test"]), ">= 99.5%", lambda f: f["onnx"]["mnist_test"]["accuracy"] >= 0.995),
        ("pad_accuracy-mnist", "all of pendigits (7,494 pen digits of 30 writers, every one seen in training) "
                               "replayed on a 400x400 canvas, height 80-320 px, pen 8-30 px",
         lambda f: accuracy(f["onnx"]["pendigits"]), ">= 99.0%", lambda f: f["onnx"]["pendigits"]["accuracy"] >= 0.99),
        ("pad_accuracy-mnist", "the same canvases through the original project's pipeline",
         lambda f: accuracy(f["original_pipeline_pendigits"]), "", None),
        ("pad_accuracy-mnist", "ONNX and Keras engines on the same inputs: largest difference (MNIST, pendigits)",
         lambda f: f"{digits_gap(f):.2f} points", "<= 0.05 points", lambda f: digits_gap(f) <= 0.05),
        *latency_rows("mnist", 0.7, 100),
    ],
    "Hangul (`models/hangul.h5`)": [
        ("hangul_accuracy-hangul", "real writers (`hangul-hand`, every syllable), each read by the recipe's model that "
                                   "never saw them (leave one writer out): mean top-1 / top-5; the weakest writer",
         writers("model"), ">= 90% / >= 98%; >= 80%", lambda f: f["writers"]["mean_model"]["top1"] >= 0.90
         and f["writers"]["mean_model"]["top5"] >= 0.98 and f["writers"]["mean_model"]["weakest_top1"] >= 0.80),
        ("hangul_accuracy-hangul", "the same writers, the fonts-only model it replaced; each writer's top-1, "
                                   "left-out model / fonts-only",
         lambda f: f"{writers('previous')(f)}; " + ", ".join(
             f"{w} {pct(r['model']['top1'])} / {pct(r['previous']['top1'])}" for w, r in f["writers"]["writers"].items()),
         "", None),
        ("hangul_accuracy-hangul", "11 fonts never trained on (fonts-lexi-*, fonts-woowa-bm), every syllable on a "
                                   "400x400 canvas: mean top-1 / top-5; the weakest font", held_out("onnx"),
         ">= 93% / >= 99.5%", lambda f: f["mean_onnx"]["top1"] >= 0.93 and f["mean_onnx"]["top5"] >= 0.995),
        ("hangul_accuracy-hangul", "the same glyphs, the model it replaced", held_out("previous"), "", None),
        ("hangul_accuracy-hangul", "real PHD08 가 (all 2,187 samples through the converter's preprocessing), "
                                   "this model / the one it replaced",
         lambda f: f"{pct(f['phd08_ga_onnx']['top1'])} / {pct(f['phd08_ga_previous']['top1'])}", ">= 99.3%",
         lambda f: f["phd08_ga_onnx"]["top1"] >= 0.993),
        ("hangul_accuracy-hangul", "`python -m train.hangul_recipe`, fonts and real writers to model, on 2 cores "
                                   "(the card's time); the model's size",
         lambda f: f"{f['recipe_minutes']:.0f} minutes; {f['model_mb']:.1f} MB", "<= 360 minutes; <= 25 MB",
         lambda f: f["recipe_minutes"] <= 360 and f["model_mb"] <= 25),
        ("hangul_accuracy-hangul", "ONNX and Keras engines on the same inputs: largest difference (fonts, 가)",
         lambda f: f"{hangul_gap(f):.2f} points", "<= 0.05 points", lambda f: hangul_gap(f) <= 0.05),
        *latency_rows("hangul", 2.0, 40),
    ],
    "In a browser (`drawpad serve`, `benchmarks/web.py`)": [
        ("web-mnist", "a 7 drawn, recognized by the server: round trip p50 / p99, `POST /recognize` with strokes "
                      "(HTTP, JSON, drawing, recognition) / the page's own fetch",
         lambda f: "{a[p50_ms]:.1f} / {a[p99_ms]:.1f} ms; {b[p50_ms]:.1f} / {b[p99_ms]:.1f} ms".format(
             a=f[WEB_HTTP], b=f[WEB_PAGE]), "p50 <= 10 ms", lambda f: f[WEB_HTTP]["p50_ms"] <= 10),
        ("web-mnist", "page load to ready (headless Chromium): first / reload p50",
         lambda f: "{first_ms:.0f} / {reload_p50_ms:.0f} ms".format(**f["page load to ready"]), "", None),
    ],
    "A line of characters (`drawpad/segment.py`)": line_rows(),
    "Your hand (`train.personalize`)": personal_rows(),
    "Data at scale (`data_tools.phd08`, `train.common`)": scale_rows(),
}


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def table() -> str:
    lines = ["| what | measured | target | by |", "| --- | --- | --- | --- |"]
    sources = {}
    for section, rows in ROWS.items():
        lines.append(f"| **{section}** | | | |")
        for name, what, value, target, met in rows:
            result = load(name)
            if result is None:
                lines.append(f"| {what} | not measured yet | {target} | `{name}` |")
                continue
            sources[name] = result
            f = result["figures"]
            try:
                shown = value(f)
            except (KeyError, TypeError):  # an older result without this figure (or with it empty)
                shown = "not measured in the latest run"
                met = None
            verdict = "" if met is None or shown.startswith("not") else (" (met)" if met(f) else " (**not met**)")
            lines.append(f"| {what} | {shown} | {target}{verdict} | [{list(sources).index(name) + 1}] |")
    lines.append("")
    libraries = []  # each distinct set of versions the results name, listed once under the footnotes
    for k, (name, result) in enumerate(sources.items(), 1):
        versions = result.get("versions")
        if versions and versions not in libraries:
            libraries.append(versions)
        named = f", libraries {chr(65 + libraries.index(versions))}" if versions else ""
        lines.append(f"[{k}] `{result['command']}` at {result['commit']}, {result['date'][:10]}, "
                     f"{result['cores']} cores of an {result['cpu']}{named} (`benchmarks/results/{name}.json`)  ")
    for k, versions in enumerate(libraries):
        lines.append(f"{chr(65 + k)}: " + ", ".join(f"{lib} {v}" for lib, v in versions.items() if v) + "  ")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only say whether README.md is up to date")
    args = ap.parse_args()
    text = README.read_text(encoding="utf-8")
    block = re.compile(re.escape(START) + r"\n.*?" + re.escape(END), re.S)
    if not block.search(text):
        print(f"error: README.md has no {START} ... {END} block", file=sys.stderr)
        return 2
    new = block.sub(lambda _: f"{START}\n{table()}{END}", text)
    if args.check:
        print("README.md's figures are up to date" if new == text else "README.md's figures are out of date")
        return 0 if new == text else 1
    README.write_text(new, encoding="utf-8")
    print("README.md's figures table written from benchmarks/results/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
