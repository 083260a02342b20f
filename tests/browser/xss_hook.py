"""What the XSS test watches in Chromium: a hook every payload calls when it runs, dialogs, CSP violations,
and what is left in the DOM that could run on a click (event-handler attributes, script URLs).
"""

from __future__ import annotations

import re

#: A payload that runs calls __xss.push(N) or alert(N). The hook logs to the console, so hits in frames of
#: another origin (data: and srcdoc documents) are seen too. It runs in every frame, before any page script.
INIT_SCRIPT = """
(() => {
  const hits = [];
  const hit = (n) => { hits.push(String(n)); console.log('XSS-HIT ' + n + ' in ' + location.href); };
  Object.defineProperty(window, '__xss', {value: {push: hit, hits: hits}, configurable: false});
  document.addEventListener('securitypolicyviolation', (e) => {
    console.log('CSP-VIOLATION ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
  });
})();
"""

#: After load: report anything injected that could still run (on a click, a hover, a submit), fire the
#: events that need a person (hover, focus, toggle, animation) on every element, and give timers a moment.
INSPECT = """
async () => {
  const found = [];
  const risky = /^[\\s\\u0000-\\u001f]*(javascript|vbscript|data):/i;
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'poster', 'background'];
  const all = Array.from(document.querySelectorAll('*'));
  for (const el of all) {
    const tag = el.tagName.toLowerCase();
    if (['iframe', 'frame', 'object', 'embed', 'base', 'applet'].includes(tag)) found.push('<' + tag + '>');
    const equiv = (el.getAttribute('http-equiv') || '').toLowerCase();
    if (tag === 'meta' && equiv === 'refresh') found.push('<meta refresh>');
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) found.push(tag + '[' + name + '=' + attr.value.slice(0, 60) + ']');
      if (name === 'srcdoc') found.push(tag + '[srcdoc]');
      if (urlAttrs.includes(name) && risky.test(attr.value)
          && !(tag === 'img' && /^\\s*data:image\\/(png|gif|jpeg|webp);/i.test(attr.value))) {
        found.push(tag + '[' + name + '=' + attr.value.slice(0, 60) + ']');
      }
    }
  }
  const events = ['mouseover', 'mouseenter', 'mousemove', 'pointerover', 'focus', 'focusin', 'blur',
                  'toggle', 'animationstart', 'load', 'error', 'begin', 'start'];
  for (const el of all) {
    for (const type of events) el.dispatchEvent(new Event(type, {bubbles: false}));
  }
  await new Promise((resolve) => setTimeout(resolve, 30));
  // what the page shows of the payloads: text and attributes, but not the values of form fields
  const shown = [];
  const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest('textarea, option, script, style')) shown.push(node.data);
  }
  for (const el of all) {
    if (['input', 'textarea', 'select', 'option'].includes(el.tagName.toLowerCase())) continue;
    for (const attr of Array.from(el.attributes)) shown.push(attr.value);
  }
  return {found: found, text: document.title + '\\n' + (document.body ? document.body.innerText : ''),
          shown: shown.join('\\n')};
}
"""

HIT = re.compile(r"XSS-HIT (\S+)")


class Watcher:
    """One Chromium page with the hook; ``visit`` loads a URL and lists what went wrong there."""

    def __init__(self, context):
        context.add_init_script(INIT_SCRIPT)
        self.page = context.new_page()
        self._events: list[str] = []
        self.rendered = ""  # the text and attributes of the last page, form fields left out
        self.page.on("console", self._console)
        self.page.on("dialog", self._dialog)

    def _console(self, message):
        if message.text.startswith(("XSS-HIT", "CSP-VIOLATION")):
            self._events.append(message.text)

    def _dialog(self, dialog):
        self._events.append(f"XSS-HIT {dialog.message} (a {dialog.type} dialog)")
        dialog.dismiss()

    def visit(self, url: str) -> list[str]:
        """Load ``url`` and return the problems: scripts that ran, CSP violations, injected markup, 7*7=49."""
        self._events = []
        self.page.goto(url, wait_until="load")
        result = self.page.evaluate(INSPECT)
        self.rendered = result["shown"]
        problems = list(self._events) + [f"injected {f}" for f in result["found"]]
        if "zz49zz" in result["text"]:
            problems.append("template injection: zz49zz in the page text")
        return problems
