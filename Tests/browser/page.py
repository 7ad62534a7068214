"""One visit of a generated page in headless Chromium, recording what a reader's browser does:
every request (and stopping all that leave 127.0.0.1), console errors, layout shifts, and
which image candidate each `<picture>` loaded."""
import base64
import json
import re
import time
import urllib.parse

# Hosts a YouTube facade must not contact before it is clicked.
_TRACKING_SUFFIXES = (
    "youtube.com", "youtube-nocookie.com", "youtu.be", "ytimg.com", "googlevideo.com", "ggpht.com",
    "doubleclick.net", "gstatic.com", "googleapis.com", "googlesyndication.com", "googleadservices.com",
    "googletagmanager.com", "google-analytics.com",
)


def is_youtube_or_google(host):
    host = (host or "").lower().rstrip(".")
    if any(host == suffix or host.endswith("." + suffix) for suffix in _TRACKING_SUFFIXES):
        return True
    return re.search(r"(^|\.)google\.", host) is not None  # google.com, google.de, www.google.co.uk…


# Installed before any page script: records every layout shift, including those before load.
_SHIFT_OBSERVER = """
window.__vignetteShifts = [];
window.__vignetteShiftObserver = new PerformanceObserver(list => {
  for (const entry of list.getEntries()) {
    window.__vignetteShifts.push({
      value: entry.value, hadRecentInput: entry.hadRecentInput, time: entry.startTime,
      sources: (entry.sources || []).map(s => s.node ? (s.node.nodeName + (s.node.className ? "." + s.node.className : "")) : "?")});
  }
});
window.__vignetteShiftObserver.observe({type: "layout-shift", buffered: true});
window.__vignetteViolations = [];
document.addEventListener("securitypolicyviolation", e => window.__vignetteViolations.push({
  directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, line: e.lineNumber}));
"""

# Brings every <picture> into view, waits until its image has loaded (or failed, or 20 s
# passed), then describes each one from the DOM.
_LOAD_PICTURES = """
(async () => {
  const settle = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const pictures = [...document.querySelectorAll("picture")];
  const waits = [];
  for (const picture of pictures) {
    const img = picture.querySelector("img");
    if (!img || img.getClientRects().length === 0) continue;  // not rendered (display: none): never loads
    img.scrollIntoView({block: "center"});
    await settle();
    const loaded = img.complete ? Promise.resolve("complete") : new Promise(resolve => {
      img.addEventListener("load", () => resolve("load"), {once: true});
      img.addEventListener("error", () => resolve("error"), {once: true});
      setTimeout(() => resolve("timeout"), 20000);
    });
    waits[pictures.indexOf(picture)] = loaded.then(async how => { try { await img.decode(); } catch (e) {} return how; });
    await loaded;
  }
  const outcomes = await Promise.all(waits);
  await settle();
  return pictures.map((picture, index) => {
    const img = picture.querySelector("img");
    const box = img ? img.getBoundingClientRect() : null;
    return {
      index,
      outcome: outcomes[index] || null,
      sources: [...picture.querySelectorAll("source")].map(s => ({
        type: s.getAttribute("type"), srcset: s.getAttribute("srcset"), sizes: s.getAttribute("sizes"),
        media: s.getAttribute("media"), mediaMatches: !s.media || matchMedia(s.media).matches})),
      img: img && {
        src: img.getAttribute("src"), srcset: img.getAttribute("srcset"), sizes: img.getAttribute("sizes"),
        currentSrc: img.currentSrc, complete: img.complete, naturalWidth: img.naturalWidth,
        naturalHeight: img.naturalHeight, renderedWidth: box.width, renderedHeight: box.height,
        rendered: img.getClientRects().length > 0,
        widthAttr: img.getAttribute("width"), heightAttr: img.getAttribute("height"),
        alt: img.getAttribute("alt"), className: img.className},
    };
  });
})()
"""

# Decodes each URL as the browser would for an <img>: the pixel size, or null when it cannot.
_DECODE = """
(async urls => {
  const out = {};
  for (const url of urls) {
    try {
      const response = await fetch(url, {cache: "force-cache"});
      const bitmap = await createImageBitmap(await response.blob());
      out[url] = [bitmap.width, bitmap.height];
      bitmap.close();
    } catch (e) { out[url] = null; }
  }
  return out;
})
"""

_STUB_PAGE = base64.b64encode(b"<!doctype html><title>blocked by the Vignette browser test</title>").decode()


class Visit:
    """Opens `url` at `width`×`height` CSS pixels and `dpr` device pixels per CSS pixel, in a
    fresh browser context, with every request intercepted: 127.0.0.1 goes through, YouTube and
    Google documents get a stub page, anything else fails. All of them are recorded."""

    def __init__(self, browser, url, width, height=900, dpr=1):
        self.url = url
        self.page = browser.new_page()
        self.requests = []  # {"url", "host", "type", "clicked": made after the first click?}
        self.blocked = set()
        self.console = []  # {"kind", "text", "url"}
        self.clicked = False
        page = self.page
        page.on("Fetch.requestPaused", self._paused)
        page.on("Runtime.consoleAPICalled", self._console_api)
        page.on("Runtime.exceptionThrown", self._exception)
        page.on("Log.entryAdded", self._log)
        page.send("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]})
        for domain in ("Page", "Runtime", "Log"):
            page.send(f"{domain}.enable")
        page.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": dpr, "mobile": False})
        page.send("Page.addScriptToEvaluateOnNewDocument", {"source": _SHIFT_OBSERVER})
        mark = len(page.events)
        reply = page.send("Page.navigate", {"url": url})
        if reply.get("errorText"):
            raise RuntimeError(f"{url}: {reply['errorText']}")
        page.wait_for("Page.loadEventFired", since=mark, timeout=60)

    # Event handlers run on the reader thread: they answer with `post`, never `send`.
    def _paused(self, params):
        request = params["request"]
        host = urllib.parse.urlsplit(request["url"]).hostname or ""
        self.requests.append({"url": request["url"], "host": host, "type": params.get("resourceType"),
                              "clicked": self.clicked})
        request_id = params["requestId"]
        if host == "127.0.0.1":
            self.page.post("Fetch.continueRequest", {"requestId": request_id})
            return
        self.blocked.add(request["url"])
        if is_youtube_or_google(host) and params.get("resourceType") == "Document":
            self.page.post("Fetch.fulfillRequest", {
                "requestId": request_id, "responseCode": 200,
                "responseHeaders": [{"name": "Content-Type", "value": "text/html; charset=utf-8"}],
                "body": _STUB_PAGE})
        else:
            self.page.post("Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"})

    def _console_api(self, params):
        if params.get("type") in ("error", "assert"):
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
            self.console.append({"kind": f"console.{params['type']}", "text": text, "url": None})

    def _exception(self, params):
        details = params.get("exceptionDetails", {})
        text = details.get("exception", {}).get("description") or details.get("text", "")
        self.console.append({"kind": "exception", "text": text, "url": details.get("url")})

    def _log(self, params):
        entry = params.get("entry", {})
        if entry.get("level") == "error":
            self.console.append({"kind": f"log.{entry.get('source')}", "text": entry.get("text", ""),
                                 "url": entry.get("url")})

    def console_errors(self):
        """Console errors, less those about a request this test blocked on purpose."""
        return [e for e in self.console if not (e["url"] and e["url"] in self.blocked)]

    def tracking_requests(self, clicked=False):
        return [r for r in self.requests if r["clicked"] == clicked and is_youtube_or_google(r["host"])]

    def foreign_requests(self):
        return [r for r in self.requests if r["host"] != "127.0.0.1"]

    def load_pictures(self):
        return self.page.evaluate(_LOAD_PICTURES, timeout=120)

    def decode(self, urls):
        return self.page.evaluate(f"({_DECODE})({json.dumps(list(urls))})", timeout=60)

    def layout_shifts(self):
        """Every layout-shift entry so far, after letting the page settle for a moment."""
        return self.page.evaluate("""(async () => {
          await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
          await new Promise(r => setTimeout(r, 250));
          for (const entry of window.__vignetteShiftObserver.takeRecords()) window.__vignetteShifts.push({
            value: entry.value, hadRecentInput: entry.hadRecentInput, time: entry.startTime, sources: []});
          return window.__vignetteShifts;
        })()""")

    def csp_violations(self):
        """Everything the page's Content-Security-Policy blocked (inline scripts and handlers
        included), as `securitypolicyviolation` events reported it."""
        return self.page.evaluate("window.__vignetteViolations")

    def facades(self):
        return self.page.evaluate("""[...document.querySelectorAll("a[data-vignette-video]")].map(a => ({
          id: a.dataset.vignetteVideo, start: a.dataset.start || null, href: a.href}))""")

    def click_facade(self, index, keyboard=False):
        """Scrolls facade `index` into view and clicks its middle with the mouse, as a reader
        would (or focuses it and presses Enter). Returns the `src` of the iframe that replaced
        it (waits up to 10 s), or None."""
        box = self.page.evaluate(f"""(async () => {{
          const a = document.querySelectorAll("a[data-vignette-video]")[{index}];
          a.scrollIntoView({{block: "center"}});
          await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
          const r = a.getBoundingClientRect();
          return {{x: r.left + r.width / 2, y: r.top + r.height / 2}};
        }})()""")
        before = set(self.iframes())
        if keyboard:
            self.page.evaluate(f'document.querySelectorAll("a[data-vignette-video]")[{index}].focus()')
            self.clicked = True
            for kind in ("keyDown", "keyUp"):
                self.page.send("Input.dispatchKeyEvent", {
                    "type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13,
                    **({"text": "\r"} if kind == "keyDown" else {})})
        else:
            self._mouse("mouseMoved", box)
            self.clicked = True
            self._mouse("mousePressed", box)
            self._mouse("mouseReleased", box)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            new = [src for src in self.iframes() if src not in before]
            if new:
                return new[0]
            time.sleep(0.1)
        return None

    def iframes(self):
        return self.page.evaluate('[...document.querySelectorAll("iframe")].map(f => f.src)')

    def wait_for_request(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in self.requests if predicate(r)]
            if found:
                return found
            time.sleep(0.1)
        return []

    def _mouse(self, kind, box):
        self.page.send("Input.dispatchMouseEvent", {
            "type": kind, "x": box["x"], "y": box["y"], "button": "left" if kind != "mouseMoved" else "none",
            "buttons": 1 if kind == "mousePressed" else 0, "clickCount": 1 if kind != "mouseMoved" else 0})

    def screenshot(self, path, full_page=False):
        self.page.evaluate("window.scrollTo(0, 0)")
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = self.page.send("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self):
        self.page.close()


def parse_srcset(srcset):
    """[(url, width)] from a srcset of `w` descriptors (Vignette percent-encodes commas in
    URLs, so a comma always separates candidates)."""
    candidates = []
    for part in (srcset or "").split(","):
        fields = part.split()
        if not fields:
            continue
        width = None
        for descriptor in fields[1:]:
            if descriptor.endswith("w") and descriptor[:-1].isdigit():
                width = int(descriptor[:-1])
        candidates.append((fields[0], width))
    return candidates
