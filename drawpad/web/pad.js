// The drawpad pad in a browser: one ES module for the page `drawpad serve` shows and for
// the notebook widget (anywidget calls `render`). It draws nothing that decides an answer:
// it sends the strokes, in the server's canvas pixels, and shows the view the pad session
// sends back (its strokes, each character's box and guesses, the text, a message). The
// session, not this file, keeps the state; one transport (HTTP or the widget's messages)
// carries the actions to it.

const KEYS = {" ": "recognize", c: "clear", z: "undo", l: "live", Enter: "enter", Backspace: "backspace",
              p: "learn", b: "base"};
const HINT = "SPACE recognize  1-5 it was that guess  TAB more guesses  ENTER add  BKSP delete  " +
  "C clear  Z undo  L live  M model  P learn  B base model";
const POLL_MS = 1000;  // while the session learns in the background: how often the page asks how it goes

// The page: each action is a POST to `url`; the server names this page's session in its first reply.
export function httpTransport(url) {
  let session = null;
  return async (message) => {
    const response = await fetch(url, {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({...message, session}),
    });
    const reply = await response.json().catch(() => ({error: `${response.status} ${response.statusText}`}));
    if (!response.ok || reply.error) throw new Error(reply.error || response.statusText);
    session = reply.session ?? session;
    return reply;
  };
}

// The notebook: each action is a custom message to the kernel's widget, answered by one with its id.
export function widgetTransport(model) {
  const prefix = Math.random().toString(36).slice(2);  // one widget may be shown in several cells
  const waiting = new Map();
  let next = 0;
  const onMessage = (msg) => {
    const wait = waiting.get(msg?.id);
    if (!wait) return;
    waiting.delete(msg.id);
    msg.error ? wait.reject(new Error(msg.error)) : wait.resolve(msg.view);
  };
  model.on("msg:custom", onMessage);
  const send = (message) => new Promise((resolve, reject) => {
    const id = `${prefix}-${++next}`;
    waiting.set(id, {resolve, reject});
    model.send({...message, id});
  });
  send.close = () => model.off("msg:custom", onMessage);
  return send;
}

function element(tag, className, parent, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

// Build the pad inside `el` and drive it through `send` (a transport). `keyTarget` gets the
// keys: the whole page for `drawpad serve`, the widget alone in a notebook (whose own keys
// must keep working outside it). Returns a function that takes it down.
export function mount(el, send, keyTarget = el) {
  el.classList.add("drawpad");
  el.dataset.ready = "0";
  const bar = element("div", "dp-bar", el);
  const buttons = {};
  for (const [action, label] of [["recognize", "Recognize"], ["clear", "Clear"], ["undo", "Undo"],
                                 ["live", "Live"], ["enter", "Add"], ["backspace", "Delete"]]) {
    buttons[action] = element("button", "dp-button", bar, label);
    buttons[action].dataset.action = action;
    buttons[action].addEventListener("click", () => act({action}));
  }
  const models = element("select", "dp-models", bar);
  models.title = "model (M: the next one)";
  models.addEventListener("change", () => {
    act({action: "model", name: models.value});
    models.blur();  // the keys are the pad's again
    if (keyTarget === el) el.focus({preventScroll: true});
  });
  const main = element("div", "dp-main", el);
  const board = element("canvas", "dp-canvas", main);
  const panel = element("div", "dp-panel", main);
  const header = element("div", "dp-header", panel);
  const reading = element("div", "dp-reading", panel);
  const guesses = element("ol", "dp-guesses", panel);
  const message = element("div", "dp-message", panel);
  const learning = element("div", "dp-learning", panel);
  const textLine = element("div", "dp-text", el);
  element("div", "dp-hint", el, HINT);
  const ctx = board.getContext("2d");

  let view = null;
  let stroke = null;  // the stroke being drawn, in canvas pixels...
  let pen = null;  // ...by this pointer (a second finger does not draw into it)
  let pointerX = 0;  // which character keys 1-5 and TAB act on: the one under the pointer
  let page = null;  // TAB: {char, start, guesses}, the next guesses of that character
  let pending = Promise.resolve();
  let inFlight = 0;
  let poll = null;  // the timer asking for the view again while the session learns
  let closed = false;  // unmounted: a reply still on its way sets no new timer

  // One action at a time, in order: a stroke must reach the session before the SPACE after it.
  // `polled`: the view asked for while learning; shown unless an action after it brings a newer one.
  function act(action, polled = false) {
    inFlight += 1;
    el.dataset.busy = "1";
    pending = pending.then(() => send(action)).then((next) => {
      if (!polled || inFlight === 1) show(next, polled);
    }, (error) => say(error.message))
      .finally(() => {
        inFlight -= 1;
        if (!inFlight) el.dataset.busy = "0";
      });
    return pending;
  }

  function say(text) {
    message.textContent = text;
  }

  function focus() {
    const chars = view?.characters ?? [];
    if (!chars.length) return -1;
    const distance = ({box: [x0, , x1]}) => (x0 <= pointerX && pointerX < x1) ? 0 :
      Math.min(Math.abs(pointerX - x0), Math.abs(pointerX - x1));
    return chars.reduce((best, c, i) => distance(c) < distance(chars[best]) ? i : best, 0);
  }

  function shown(i) {
    return page?.char === i ? page.guesses : view.characters[i].guesses;
  }

  function show(next, polled = false) {
    const sameModel = view?.model?.source === next.model?.source;
    view = next;
    // any other action shows each character's best guesses again; a poll only if the model changed
    page = view.page ?? (polled && sameModel ? page : null);
    if (board.width !== view.canvas.width || board.height !== view.canvas.height) {
      board.width = view.canvas.width;
      board.height = view.canvas.height;
    }
    const names = view.models.includes(view.current) ? view.models : [...view.models, view.current];
    models.replaceChildren(...names.map((name) => {
      const option = element("option", null, null, name);
      option.value = name;
      option.selected = name === view.current;
      return option;
    }));
    buttons.live.classList.toggle("dp-on", view.live);
    draw();
    if (view.learning && poll === null && !closed) {  // a personal model is swapped in when ready: show it then
      poll = setTimeout(() => {
        poll = null;
        act({action: "hello"}, true);
      }, POLL_MS);
    }
    if (el.dataset.ready !== "1") performance.mark("drawpad ready");  // benchmarks/web.py: page load to ready
    el.dataset.ready = "1";
  }

  function draw() {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, board.width, board.height);
    ctx.strokeStyle = ctx.fillStyle = "#000";
    ctx.lineWidth = view.canvas.pen;
    ctx.lineCap = ctx.lineJoin = "round";
    for (const points of stroke ? [...view.strokes, stroke] : view.strokes) {
      ctx.beginPath();
      ctx.moveTo(...points[0]);
      for (const p of points.length > 1 ? points.slice(1) : [points[0]]) ctx.lineTo(...p);
      ctx.stroke();
    }
    const chars = view.characters;
    const at = focus();
    if (chars.length > 1) {  // how the line was split
      ctx.strokeStyle = "#e6963c";
      chars.forEach(({box: [x0, y0, x1, y1]}, i) => {
        ctx.lineWidth = i === at ? 3 : 1;
        ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      });
    }
    header.textContent = `${view.current}: top ${view.top}` +
      (view.samples ? `, ${view.samples.count} kept` : "") + (view.live ? "  (live)" : "");
    reading.textContent = chars.length > 1 ? view.reading : "";
    guesses.replaceChildren();
    if (chars.length === 1) {
      shown(0).forEach((p, n) => guess(guesses, 0, n, p, true));
    } else {
      chars.forEach((c, i) => {
        const row = element("li", "dp-char" + (i === at ? " dp-focus" : ""), guesses);
        shown(i).slice(0, 5).forEach((p, n) => guess(row, i, n, p, false));
      });
    }
    message.textContent = page ? `guesses ${page.start + 1}-${page.start + page.guesses.length}: 1-5 picks one`
      : view.message;
    textLine.textContent = view.text;
    learning.textContent = view.learning;
  }

  // One guess: its label and probability (as a bar for a single character); a click picks it.
  function guess(parent, i, n, p, bar) {
    const item = element(bar ? "li" : "span", bar ? "dp-guess" : "dp-small", parent);
    element("span", "dp-key", item, String(n + 1));
    element("span", "dp-label", item, p.label);
    if (bar) element("span", "dp-bar-fill", element("span", "dp-bar-back", item)).style.width =
      `${(p.probability * 100).toFixed(1)}%`;
    element("span", "dp-percent", item, `${(p.probability * 100).toFixed(bar ? 1 : 0)}%`);
    item.addEventListener("click", () => pick(i, n + 1));
  }

  function pick(i, n) {
    if (i < 0) return say("draw something first");
    if (n > shown(i).length) return say(`only ${shown(i).length} guesses are shown`);
    act({action: "pick", char: i, index: (page?.char === i ? page.start : 0) + n - 1});
  }

  // TAB: the next guesses of the character under the pointer, then its best again.
  function more() {
    const i = focus();
    if (i < 0) return say("draw something first");
    const start = (page?.char === i ? page.start : 0) + view.top;
    if (start < view.model.labels) {
      act({action: "more", char: i, start});
    } else {
      page = null;
      draw();
    }
  }

  function point(event) {
    const rect = board.getBoundingClientRect();
    const clamp = (v, hi) => Math.min(Math.max(Math.round(v), 0), hi - 1);
    return [clamp((event.clientX - rect.left) * board.width / rect.width, board.width),
            clamp((event.clientY - rect.top) * board.height / rect.height, board.height)];
  }

  board.addEventListener("pointerdown", (event) => {
    if (!view || stroke || event.button !== 0) return;
    pen = event.pointerId;
    board.setPointerCapture(pen);
    if (keyTarget === el) el.focus({preventScroll: true});  // SPACE right after drawing, in a notebook
    stroke = [point(event)];
    pointerX = stroke[0][0];
    draw();
    event.preventDefault();
  });
  board.addEventListener("pointermove", (event) => {
    if (!view) return;
    const focused = focus();
    if (stroke && event.pointerId !== pen) return;
    pointerX = point(event)[0];
    if (focus() !== focused) page = null;  // the focus moved to another character
    if (stroke) {
      for (const e of event.getCoalescedEvents?.() ?? [event]) {  // every sample, not one a frame
        const p = point(e);
        const last = stroke[stroke.length - 1];
        if (p[0] !== last[0] || p[1] !== last[1]) stroke.push(p);
      }
      draw();
    } else if (focus() !== focused) {
      draw();
    }
  });
  const end = (event) => {
    if (!stroke || event.pointerId !== pen) return;
    const points = stroke;
    stroke = null;
    view.strokes = [...view.strokes, points];  // shown at once; the session's reply follows
    act({action: "stroke", points});
  };
  board.addEventListener("pointerup", end);
  board.addEventListener("pointercancel", end);

  function onKey(event) {
    if (!view || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target instanceof HTMLSelectElement || event.target instanceof HTMLInputElement) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (KEYS[key]) {
      act({action: KEYS[key]});
    } else if (/^[1-5]$/.test(key)) {
      pick(focus(), Number(key));
    } else if (key === "Tab") {
      more();
    } else if (key === "m") {
      const names = view.models;
      if (names.length < 2) return say("no other model to switch to");
      act({action: "model", name: names[(names.indexOf(view.current) + 1) % names.length]});
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();  // in a notebook: not a shortcut of the notebook's own
  }
  if (keyTarget === el) el.tabIndex = 0;
  keyTarget.addEventListener("keydown", onKey);

  act({action: "hello"});
  return () => {
    closed = true;
    clearTimeout(poll);
    keyTarget.removeEventListener("keydown", onKey);
    send.close?.();
  };
}

// anywidget: the notebook widget (drawpad.notebook.Pad) renders the same pad.
export default {
  render({model, el}) {
    return mount(el, widgetTransport(model));
  },
};
