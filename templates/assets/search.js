// briefing: the search page. Pagefind's client (pagefind/pagefind.js) finds the
// pages; this file shows them, each with the paragraphs where the words occur,
// linked to the paragraph itself (#p7). No framework, no inline script.
(function () {
  "use strict";
  var form = document.querySelector(".search-form");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!form || !input || !status || !list) return;

  function say(text) { status.textContent = text; }

  if (location.protocol === "file:") {
    say("Search cannot run from a copy opened from disk: browsers do not let a page " +
        "load its search index from file://. Open the briefing from a web server " +
        "(any static host, or `python3 -m http.server` in its folder), or browse " +
        "the Actors, Topics, Sources and Timeline pages from the menu above.");
    input.disabled = true;
    form.querySelector("button").disabled = true;
    return;
  }

  var root = new URL(form.getAttribute("data-root"), location.href).pathname;
  var indexUrl = new URL(form.getAttribute("data-index"), location.href).href;
  var pagefind = null;
  var loading = null;
  var latest = 0;

  function load() {
    if (!loading) {
      loading = import(indexUrl).then(function (pf) {
        pagefind = pf;
        return pf.options({ baseUrl: root }).then(function () { pf.init(); return pf; });
      });
    }
    return loading;
  }

  function terms(query) {
    return query.toLowerCase().split(/\s+/).filter(Boolean);
  }

  // Text with the query's words marked, built as DOM nodes (never innerHTML).
  function marked(text, words) {
    var frag = document.createDocumentFragment();
    text.split(/(\s+)/).forEach(function (part) {
      var word = bare(part);
      var hit = word && words.some(function (w) { return word.indexOf(w) === 0; });
      if (hit) {
        var m = document.createElement("mark");
        m.textContent = part;
        frag.appendChild(m);
      } else {
        frag.appendChild(document.createTextNode(part));
      }
    });
    return frag;
  }

  function bare(word) {
    return word.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
  }

  // Group the page's matching word positions by the element with an id they fall
  // in (a paragraph p7, a claim, a section), best first: the spot that holds the
  // most different query words, then the earliest.
  function places(data, query) {
    var anchors = (data.anchors || []).slice().sort(function (a, b) { return a.location - b.location; });
    var words = (data.content || "").split(/\s+/);
    var byId = {};
    var out = [];
    (data.locations || []).forEach(function (loc) {
      var anchor = null;
      for (var i = 0; i < anchors.length && anchors[i].location <= loc; i++) anchor = anchors[i];
      var id = anchor ? anchor.id : "";
      var spot = byId[id];
      if (!spot) {
        var start = Math.max(anchor ? anchor.location : 0, loc - 12);
        spot = byId[id] = { id: id, label: /^p\d+$/.test(id) ? "¶" + id.slice(1) : "",
                            text: words.slice(start, loc + 18).join(" "), first: loc, found: {} };
        out.push(spot);
      }
      spot.found[bare(words[loc] || "")] = true;
    });
    out.forEach(function (spot) {
      var found = Object.keys(spot.found);
      spot.score = query.filter(function (w) {
        return found.some(function (f) { return f.indexOf(w) === 0; });
      }).length;
    });
    return out.sort(function (a, b) { return (b.score - a.score) || (a.first - b.first); });
  }

  function show(results, query) {
    var words = terms(query);
    list.textContent = "";
    // Pages whose best paragraph holds more of the query's words come first;
    // otherwise Pagefind's own ranking stands.
    var ranked = results.map(function (data, rank) {
      var spots = places(data, words);
      return { data: data, spots: spots, best: spots.length ? spots[0].score : 0, rank: rank };
    }).sort(function (a, b) { return (b.best - a.best) || (a.rank - b.rank); });
    ranked.forEach(function (r) {
      var data = r.data;
      var spots = r.spots;
      var item = document.createElement("li");
      var heading = document.createElement("h2");
      var link = document.createElement("a");
      link.href = data.url + (spots.length && spots[0].id ? "#" + spots[0].id : "");
      link.textContent = (data.meta && data.meta.title) || data.url;
      heading.appendChild(link);
      item.appendChild(heading);
      var hits = document.createElement("ul");
      spots.slice(0, 3).forEach(function (spot) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = data.url + (spot.id ? "#" + spot.id : "");
        a.className = "hit-link";
        if (spot.label) {
          var n = document.createElement("span");
          n.className = "hit-n";
          n.textContent = spot.label;
          a.appendChild(n);
          a.appendChild(document.createTextNode(" "));
        }
        a.appendChild(marked("…" + spot.text + "…", words));
        li.appendChild(a);
        hits.appendChild(li);
      });
      item.appendChild(hits);
      list.appendChild(item);
    });
  }

  function run(query) {
    var ticket = ++latest;
    query = query.trim();
    if (!query) { list.textContent = ""; say("Type a word or a name."); return; }
    say("Searching…");
    load().then(function (pf) {
      return pf.search(query);
    }).then(function (search) {
      if (ticket !== latest) return null;
      return Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); }));
    }).then(function (results) {
      if (!results || ticket !== latest) return;
      show(results, query);
      say(results.length === 0 ? "No results for “" + query + "”." :
          results.length + (results.length === 1 ? " page matches" : " pages match") +
          " “" + query + "”.");
    }).catch(function () {
      say("Search is not available in this copy of the briefing: its search index is missing. " +
          "Browse the Actors, Topics, Sources and Timeline pages from the menu above.");
    });
  }

  var timer = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 200);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = new URL(location.href);
    url.searchParams.set("q", input.value);
    history.replaceState(null, "", url.href);
    run(input.value);
  });
  var initial = new URLSearchParams(location.search).get("q") || "";
  input.value = initial;
  if (initial) run(initial); else say("Type a word or a name.");
})();
