/*
 * whosaid claim viewer: one article's text with its claims highlighted in place, from plain data, no network.
 *
 *   WhosaidViewer.renderArticle(element, article, claims[, options]) -> view
 *
 * article: the `article` object of GET /articles/{id} (text, title, source, url, published_at, ...);
 * claims: the claim objects of GET /articles/{id}/claims (speaker, cue, content_span, cue_span, speaker_span,
 * content_segments, quote_type, stance, grounding, speaker_id, index). options.focusClaim: a claim's index to scroll
 * to and focus. The view returned has focusClaim(index) and setSpeakerShown(speakerKey, shown).
 *
 * A classic script (no import/export) so that it can be inlined in a standalone HTML file; viewer.css holds every
 * style it needs. Article text is only ever inserted as text nodes (textContent), never parsed as HTML.
 */
(function (global) {
  "use strict";

  var PALETTE_SIZE = 12; // viewer.css defines .spk-0 ... .spk-11

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Offsets are Python str indices (code points); JavaScript strings index UTF-16 code units. The two differ after
  // any character outside the Basic Multilingual Plane (an emoji), so offsets are mapped before slicing.
  function codePointIndex(text) {
    if (!/[\uD800-\uDBFF]/.test(text)) return null; // identity: the common case costs nothing
    var map = [];
    var unit = 0;
    for (var ch of text) {
      map.push(unit);
      unit += ch.length;
    }
    map.push(unit);
    return map;
  }

  function toUnits(map, offset, length) {
    if (map === null) return Math.min(offset, length);
    return offset < map.length ? map[offset] : length;
  }

  /* A speaker is one entity across the article: its directory id when the API gives one, else its name and type. */
  function speakerKey(claim) {
    return claim.speaker_id || claim.speaker.type + ":" + claim.speaker.name;
  }

  function claimIndex(claim, position) {
    return typeof claim.index === "number" ? claim.index : position;
  }

  /* Speakers with their claims, most claims first, then first appearance; each keeps its colour slot. */
  function collectSpeakers(claims) {
    var byKey = new Map();
    claims.forEach(function (claim, position) {
      var key = speakerKey(claim);
      var entry = byKey.get(key);
      if (!entry) {
        entry = { key: key, name: claim.speaker.name, type: claim.speaker.type, role: null, claims: [], first: position };
        byKey.set(key, entry);
      }
      entry.role = entry.role || claim.speaker.role || null;
      entry.claims.push(claim);
    });
    var speakers = Array.from(byKey.values());
    speakers.sort(function (a, b) {
      return b.claims.length - a.claims.length || a.first - b.first;
    });
    speakers.forEach(function (speaker, rank) {
      speaker.colour = rank % PALETTE_SIZE;
    });
    return speakers;
  }

  /*
   * Every span to mark: each piece of each claim's content (an interrupted quote has several, one claim), its cue
   * and its speaker mention. Marks nest as elements; where two cross, the later one is cut at the earlier's end
   * and continues in a second element with the same data, so every piece of text is in one place in the DOM.
   */
  function spansOf(claims, length, map) {
    var spans = [];
    claims.forEach(function (claim, position) {
      var index = claimIndex(claim, position);
      var segments = claim.content_segments && claim.content_segments.length ? claim.content_segments : [claim.content_span];
      segments.forEach(function (segment, number) {
        spans.push({ kind: "content", claim: claim, index: index, segment: number, start: segment[0], end: segment[1] });
      });
      if (claim.cue_span) spans.push({ kind: "cue", claim: claim, index: index, start: claim.cue_span[0], end: claim.cue_span[1] });
      if (claim.speaker_span) {
        spans.push({ kind: "mention", claim: claim, index: index, start: claim.speaker_span[0], end: claim.speaker_span[1] });
      }
    });
    var kept = [];
    spans.forEach(function (span) {
      span.start = toUnits(map, span.start, length);
      span.end = toUnits(map, span.end, length);
      if (span.start < span.end) kept.push(span);
    });
    return kept;
  }

  var KIND_ORDER = { content: 0, cue: 1, mention: 2 };

  function bySpanOrder(a, b) {
    return a.start - b.start || b.end - a.end || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.index - b.index;
  }

  function insertSorted(queue, span, from) {
    var at = from;
    while (at < queue.length && bySpanOrder(queue[at], span) <= 0) at++;
    queue.splice(at, 0, span);
  }

  function markFor(span, colours) {
    var claim = span.claim;
    var node;
    if (span.kind === "content") {
      node = el("mark", "wsv-claim spk-" + colours.get(speakerKey(claim)));
      node.setAttribute("data-segment", String(span.segment));
    } else {
      node = el("span", "wsv-" + span.kind + " spk-" + colours.get(speakerKey(claim)));
    }
    node.setAttribute("data-claim", String(span.index));
    node.setAttribute("data-speaker", speakerKey(claim));
    return node;
  }

  function renderText(container, text, claims, colours) {
    var map = codePointIndex(text);
    var queue = spansOf(claims, text.length, map).sort(bySpanOrder);
    var stack = [{ node: container, end: text.length }];
    var position = 0;
    function emitUntil(offset) {
      if (offset > position) stack[stack.length - 1].node.appendChild(document.createTextNode(text.slice(position, offset)));
      position = Math.max(position, offset);
    }
    for (var i = 0; i < queue.length; i++) {
      var span = queue[i];
      while (stack.length > 1 && stack[stack.length - 1].end <= span.start) {
        emitUntil(stack[stack.length - 1].end);
        stack.pop();
      }
      emitUntil(span.start);
      var parentEnd = stack[stack.length - 1].end;
      if (span.end > parentEnd) {
        // Crossing the enclosing mark: this element ends with it, the rest follows in the queue.
        insertSorted(queue, Object.assign({}, span, { start: parentEnd }), i + 1);
        span = Object.assign({}, span, { end: parentEnd });
      }
      var node = markFor(span, colours);
      stack[stack.length - 1].node.appendChild(node);
      stack.push({ node: node, end: span.end });
    }
    while (stack.length > 1) {
      emitUntil(stack[stack.length - 1].end);
      stack.pop();
    }
    emitUntil(text.length);
  }

  var TOOLTIP_FIELDS = [
    ["Speaker", function (c) { return c.speaker.name; }],
    ["Role", function (c) { return c.speaker.role || "—"; }],
    ["Type", function (c) { return c.speaker.type; }],
    ["Cue", function (c) { return c.cue; }],
    ["Stance", function (c) { return c.stance; }],
    ["Quote type", function (c) { return c.quote_type; }],
    ["Grounding", function (c) { return c.grounding || "exact"; }],
  ];

  var tooltipCount = 0;

  function makeTooltip(root) {
    var tooltip = el("div", "wsv-tooltip");
    tooltip.id = "wsv-tooltip-" + ++tooltipCount;
    tooltip.setAttribute("role", "tooltip");
    tooltip.hidden = true;
    root.appendChild(tooltip);
    return tooltip;
  }

  function fillTooltip(tooltip, claim) {
    tooltip.replaceChildren();
    var list = el("dl");
    TOOLTIP_FIELDS.forEach(function (field) {
      var row = el("div", "wsv-field");
      row.setAttribute("data-field", field[0].toLowerCase().replace(" ", "_"));
      row.appendChild(el("dt", null, field[0]));
      row.appendChild(el("dd", null, field[1](claim)));
      list.appendChild(row);
    });
    tooltip.appendChild(list);
  }

  function formatDate(value) {
    if (!value) return "";
    var date = new Date(value);
    return isNaN(date.getTime()) ? String(value) : date.toISOString().slice(0, 10);
  }

  function renderHeader(root, article) {
    var header = el("header", "wsv-header");
    header.appendChild(el("h2", "wsv-title", article.title || "Untitled article"));
    var meta = el("p", "wsv-meta");
    var parts = [article.source, formatDate(article.published_at || article.created_at)].filter(Boolean);
    if (parts.length) meta.appendChild(document.createTextNode(parts.join(" · ")));
    if (article.url && /^https?:\/\//i.test(article.url)) {
      if (parts.length) meta.appendChild(document.createTextNode(" · "));
      var link = el("a", null, article.url);
      link.setAttribute("href", article.url);
      link.setAttribute("rel", "noopener noreferrer");
      meta.appendChild(link);
    }
    header.appendChild(meta);
    root.appendChild(header);
  }

  function renderPanel(root, speakers, onToggle) {
    var panel = el("aside", "wsv-speakers");
    panel.setAttribute("aria-label", "Speakers");
    panel.appendChild(el("h3", null, "Speakers"));
    var list = el("ul");
    speakers.forEach(function (speaker) {
      var item = el("li");
      var label = el("label", "wsv-speaker");
      var box = el("input");
      box.type = "checkbox";
      box.checked = true;
      box.setAttribute("data-speaker", speaker.key);
      box.addEventListener("change", function () {
        onToggle(speaker.key, box.checked);
      });
      label.appendChild(box);
      label.appendChild(el("span", "wsv-swatch spk-" + speaker.colour));
      var name = el("span", "wsv-speaker-name", speaker.name);
      label.appendChild(name);
      label.appendChild(el("span", "wsv-count", speaker.claims.length));
      var detail = [speaker.type, speaker.role].filter(Boolean).join(", ");
      label.appendChild(el("span", "wsv-speaker-detail", detail));
      item.appendChild(label);
      list.appendChild(item);
    });
    panel.appendChild(list);
    var buttons = el("p", "wsv-panel-buttons");
    [["Show all", true], ["Hide all", false]].forEach(function (choice) {
      var button = el("button", null, choice[0]);
      button.type = "button";
      button.addEventListener("click", function () {
        list.querySelectorAll("input[type=checkbox]").forEach(function (box) {
          if (box.checked !== choice[1]) {
            box.checked = choice[1];
            onToggle(box.getAttribute("data-speaker"), choice[1]);
          }
        });
      });
      buttons.appendChild(button);
    });
    panel.appendChild(buttons);
    root.appendChild(panel);
  }

  function renderArticle(element, article, claims, options) {
    options = options || {};
    claims = claims || [];
    var text = article.text || "";
    var speakers = collectSpeakers(claims);
    var colours = new Map(speakers.map(function (s) { return [s.key, s.colour]; }));
    var byIndex = new Map(claims.map(function (claim, position) { return [claimIndex(claim, position), claim]; }));

    element.replaceChildren();
    var root = el("div", "wsv-article");
    renderHeader(root, article);
    var body = el("div", "wsv-body");
    var textBox = el("div", "wsv-text");
    textBox.setAttribute("data-claims", String(claims.length));
    renderText(textBox, text, claims, colours);
    body.appendChild(textBox);
    root.appendChild(body);
    var tooltip = makeTooltip(root);
    element.appendChild(root);

    function segmentsOf(index) {
      return textBox.querySelectorAll('.wsv-claim[data-claim="' + index + '"]');
    }

    // One tab stop per claim (its first piece); every piece of it shows the tooltip and lights up together.
    claims.forEach(function (claim, position) {
      var index = claimIndex(claim, position);
      var pieces = segmentsOf(index);
      pieces.forEach(function (piece, number) {
        piece.setAttribute("tabindex", number === 0 ? "0" : "-1");
        piece.setAttribute("aria-label", claim.speaker.name + " " + claim.cue + ": " + claim.content);
      });
    });

    var shownFor = null;
    function show(piece) {
      var index = piece.getAttribute("data-claim");
      var claim = byIndex.get(Number(index));
      if (!claim) return;
      hide();
      shownFor = index;
      fillTooltip(tooltip, claim);
      tooltip.hidden = false;
      segmentsOf(index).forEach(function (p) { p.classList.add("wsv-active"); });
      piece.setAttribute("aria-describedby", tooltip.id);
      var box = piece.getBoundingClientRect();
      var rootBox = root.getBoundingClientRect();
      var left = Math.max(0, Math.min(box.left - rootBox.left, rootBox.width - tooltip.offsetWidth));
      tooltip.style.left = left + "px";
      tooltip.style.top = box.bottom - rootBox.top + 6 + "px";
    }
    function hide() {
      if (shownFor === null) return;
      segmentsOf(shownFor).forEach(function (p) {
        p.classList.remove("wsv-active");
        p.removeAttribute("aria-describedby");
      });
      shownFor = null;
      tooltip.hidden = true;
    }
    function pieceFrom(event) {
      return event.target instanceof Element ? event.target.closest(".wsv-claim") : null;
    }
    textBox.addEventListener("mouseover", function (event) {
      var piece = pieceFrom(event);
      if (piece && !piece.classList.contains("wsv-hidden")) show(piece);
    });
    textBox.addEventListener("mouseout", function (event) {
      var piece = pieceFrom(event);
      if (piece && !(event.relatedTarget instanceof Node && piece.contains(event.relatedTarget)) && document.activeElement !== piece) hide();
    });
    textBox.addEventListener("focusin", function (event) {
      var piece = pieceFrom(event);
      if (piece) show(piece);
    });
    textBox.addEventListener("focusout", hide);
    textBox.addEventListener("keydown", function (event) {
      if (event.key === "Escape") hide();
    });

    function setSpeakerShown(key, shown) {
      textBox.querySelectorAll("[data-speaker]").forEach(function (node) {
        if (node.getAttribute("data-speaker") !== key) return;
        node.classList.toggle("wsv-hidden", !shown);
        // A hidden claim is plain text: out of the tab order, not announced as a claim.
        if (node.classList.contains("wsv-claim")) {
          var first = node === segmentsOf(node.getAttribute("data-claim"))[0];
          node.setAttribute("tabindex", shown && first ? "0" : "-1");
        }
      });
      if (shownFor !== null && !shown) hide();
    }
    renderPanel(body, speakers, setSpeakerShown);

    function focusClaim(index) {
      var first = segmentsOf(index)[0];
      if (!first) return false;
      first.scrollIntoView({ block: "center" });
      first.focus({ preventScroll: true });
      return true;
    }
    if (options.focusClaim !== undefined && options.focusClaim !== null) focusClaim(options.focusClaim);

    return { speakers: speakers, focusClaim: focusClaim, setSpeakerShown: setSpeakerShown };
  }

  global.WhosaidViewer = { renderArticle: renderArticle, speakerKey: speakerKey };
})(typeof window !== "undefined" ? window : this);
