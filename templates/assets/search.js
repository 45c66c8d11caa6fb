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
      var bare = part.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
      var hit = bare && words.some(function (w) { return bare.indexOf(w) === 0; });
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

  // Group the page's matching word positions by the element (with an id) they
  // fall in: a paragraph (p7), a claim, or a section heading.
  function places(data) {
    var anchors = (data.anchors || []).slice().sort(function (a, b) { return a.location - b.location; });
    var words = (data.content || "").split(/\s+/);
    var seen = {};
    var out = [];
    (data.locations || []).forEach(function (loc) {
      var anchor = null;
      for (var i = 0; i < anchors.length && anchors[i].location <= loc; i++) anchor = anchors[i];
      var id = anchor ? anchor.id : "";
      if (seen[id]) return;
      seen[id] = true;
      var start = Math.max(anchor ? anchor.location : 0, loc - 12);
      var text = words.slice(start, loc + 18).join(" ");
      out.push({ id: id, label: /^p\d+$/.test(id) ? "¶" + id.slice(1) : "", text: text });
    });
    return out;
  }

  function show(results, query) {
    var words = terms(query);
    list.textContent = "";
    results.forEach(function (data) {
      var item = document.createElement("li");
      var spots = places(data);
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
