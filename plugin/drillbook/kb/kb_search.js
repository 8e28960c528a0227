// drillbook knowledge-base search: a prebuilt index and a small BM25 ranking, no fetches.
// Binds to <input id="kb-query">, renders into <ol id="kb-results"> (and <p id="kb-status">).
// Text is only ever inserted with textContent / createElement, never as HTML.
(function () {
  "use strict";
  var DATA = /*KB_DATA*/null;
  var K1 = 1.2, B = 0.75, LIMIT = 20;
  var TOKEN = /[\p{L}\p{N}]+/gu;
  var ASCII_WORD = /^[a-z]+$/;
  var SUFFIXES = [["ies", "y"], ["ing", ""], ["ed", ""], ["es", ""], ["s", ""]];

  function stem(word) {
    if (word.length <= 3 || !ASCII_WORD.test(word)) return word;
    for (var i = 0; i < SUFFIXES.length; i++) {
      var suffix = SUFFIXES[i][0];
      if (word.endsWith(suffix) && word.length - suffix.length >= 3) {
        if (suffix === "s" && word.endsWith("ss")) break;
        word = word.slice(0, word.length - suffix.length) + SUFFIXES[i][1];
        break;
      }
    }
    if (word.length > 4 && word.endsWith("e")) word = word.slice(0, -1);
    return word;
  }

  function tokens(text) {
    return (String(text).match(TOKEN) || []).map(function (t) { return t.toLowerCase(); });
  }

  function terms(text) { return tokens(text).map(stem); }

  // Quoted parts are phrases; other words each a term (a word like db-01 a short phrase).
  function parse(query) {
    var parts = [], re = /"([^"]*)"|(\S+)/g, m;
    while ((m = re.exec(String(query))) !== null) {
      var words = tokens(m[1] !== undefined ? m[1] : m[2]);
      if (words.length) parts.push(words);
    }
    return parts;
  }

  var avgdl = 1;
  if (DATA && DATA.lengths.length) {
    avgdl = DATA.lengths.reduce(function (a, b) { return a + b; }, 0) / DATA.lengths.length || 1;
  }

  function scores(term) {
    var list = DATA.postings[term] || [], found = new Map();
    if (!list.length) return found;
    var n = DATA.docs.length, df = list.length / 2;
    var idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    for (var i = 0; i < list.length; i += 2) {
      var doc = list[i], tf = list[i + 1], dl = DATA.lengths[doc];
      found.set(doc, idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl)));
    }
    return found;
  }

  function hasPhrase(doc, words) {
    var d = DATA.docs[doc];
    var text = " " + tokens(d[3] + " " + d[4] + " " + d[5]).join(" ") + " ";
    return text.indexOf(" " + words.join(" ") + " ") >= 0;
  }

  function rank(parts, all) {
    var total = new Map(), matched = new Map();
    parts.forEach(function (words) {
      var partScores = new Map();
      // a phrase's words must all be in the passage (then in order: hasPhrase)
      words.map(stem).forEach(function (term, index) {
        var found = scores(term);
        if (index > 0) {
          partScores.forEach(function (_, doc) { if (!found.has(doc)) partScores.delete(doc); });
        }
        found.forEach(function (s, doc) {
          if (index === 0 || partScores.has(doc)) partScores.set(doc, (partScores.get(doc) || 0) + s);
        });
      });
      partScores.forEach(function (s, doc) {
        if (words.length > 1 && !hasPhrase(doc, words)) return;
        total.set(doc, (total.get(doc) || 0) + s);
        matched.set(doc, (matched.get(doc) || 0) + 1);
      });
    });
    var hits = [];
    total.forEach(function (s, doc) {
      if (!all || matched.get(doc) === parts.length) hits.push({ doc: doc, score: s });
    });
    hits.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
    return hits;
  }

  // The best passages for `query`: [{kind, path, line, title, section, text, score}], and
  // whether they only match some of the words (anyTerm).
  function search(query, limit) {
    var parts = parse(query), anyTerm = false;
    if (!DATA || !parts.length) return { hits: [], anyTerm: false, terms: [] };
    var hits = rank(parts, true);
    if (!hits.length && parts.length > 1) { hits = rank(parts, false); anyTerm = true; }
    var wanted = [];
    parts.forEach(function (words) { words.forEach(function (w) { wanted.push(stem(w)); }); });
    return { anyTerm: anyTerm, terms: wanted, hits: folded(hits, limit || LIMIT) };
  }

  // The best `limit` hits as passages, a report section repeated by other drill reports (same
  // drill title and section) counted in the first one's `similar` instead of listed again.
  function folded(hits, limit) {
    var shown = [], first = new Map();
    hits.forEach(function (h) {
      var d = DATA.docs[h.doc], key = d[0] === "report" ? d[3] + "\u0000" + d[4] : null;
      if (key !== null && first.has(key)) { first.get(key).similar += 1; return; }
      if (shown.length >= limit) return;
      var hit = { kind: d[0], path: d[1], line: d[2], title: d[3], section: d[4], text: d[5],
                  score: h.score, similar: 0 };
      shown.push(hit);
      if (key !== null) first.set(key, hit);
    });
    return shown;
  }

  // `text` as nodes, the words whose stem is wanted in <mark>.
  function marked(doc, text, wanted) {
    var span = doc.createElement("span"), last = 0, m, re = new RegExp(TOKEN.source, "gu");
    while ((m = re.exec(text)) !== null) {
      if (wanted.indexOf(stem(m[0].toLowerCase())) < 0) continue;
      span.appendChild(doc.createTextNode(text.slice(last, m.index)));
      var mark = doc.createElement("mark");
      mark.textContent = m[0];
      span.appendChild(mark);
      last = m.index + m[0].length;
    }
    span.appendChild(doc.createTextNode(text.slice(last)));
    return span;
  }

  function render(doc, result, list, status) {
    while (list.firstChild) list.removeChild(list.firstChild);
    result.hits.forEach(function (hit) {
      var item = doc.createElement("li");
      var where = doc.createElement("code");
      where.textContent = hit.path + ":" + hit.line;
      var title = doc.createElement("strong");
      title.textContent = hit.title + (hit.section ? " — " + hit.section : "");
      var passage = doc.createElement("p");
      passage.appendChild(marked(doc, hit.text, result.terms));
      item.appendChild(where);
      item.appendChild(doc.createTextNode(" "));
      item.appendChild(title);
      item.appendChild(passage);
      if (hit.similar) {
        var more = doc.createElement("small");
        more.textContent = "and " + hit.similar + " more drill reports with this section";
        item.appendChild(more);
      }
      list.appendChild(item);
    });
    if (status) {
      status.textContent = !result.terms.length ? "" : !result.hits.length ? "Nothing matches."
        : result.anyTerm ? "No passage has all the words; showing passages with any of them." : "";
    }
  }

  function bind(doc) {
    var input = doc.getElementById("kb-query"), list = doc.getElementById("kb-results");
    if (!input || !list) return;
    var status = doc.getElementById("kb-status");
    var update = function () { render(doc, search(input.value), list, status); };
    input.addEventListener("input", update);
    if (input.value) update();
  }

  var api = { search: search, stem: stem, terms: terms, parse: parse, render: render };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  if (typeof window !== "undefined") window.drillbookKb = api;
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { bind(document); });
    } else {
      bind(document);
    }
  }
})();
