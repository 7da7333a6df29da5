/* Check-in page, progressive enhancement (the page works without it):
   - search as you type: the list is fetched again (the same HTML the page
     renders, from data-results-url) a moment after the last key;
   - the figures at the top are refreshed every few seconds from
     data-counts-url (JSON), while the page is visible. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-results-url]");
  var input = document.getElementById("recherche");
  var results = document.getElementById("resultats");
  if (form && input && results && window.fetch) {
    var timer = null;
    var latest = 0;
    var refresh = function () {
      var params = new URLSearchParams(new FormData(form));
      var asked = ++latest;
      fetch(form.dataset.resultsUrl + "?" + params.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          if (asked !== latest) { return; } // an older answer arriving late
          results.innerHTML = html;
          // Say how many were found (the list itself is not read out at each key).
          var announce = document.getElementById("resultats-annonce");
          var found = document.getElementById("resultats-nombre");
          if (announce) { announce.textContent = found ? found.textContent : ""; }
          var pageParams = new URLSearchParams(params);
          if (!input.value) { pageParams.delete("q"); }
          var query = pageParams.toString();
          window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
        })
        .catch(function () { /* the search button still works */ });
    };
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 250);
    });
  }

  var counters = document.querySelector("[data-counts-url]");
  if (counters && window.fetch) {
    var update = function () {
      if (document.hidden) { return; }
      fetch(counters.dataset.countsUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (counts) {
          document.querySelectorAll("[data-count]").forEach(function (element) {
            var value = counts[element.dataset.count];
            if (value !== undefined) { element.textContent = String(value); }
          });
          document.querySelectorAll("[data-walk-in]").forEach(function (element) {
            var value = counts.walk_ins_by_category[element.dataset.walkIn];
            if (value === undefined) { return; }
            element.textContent = String(value);
            var minus = element.parentNode.querySelector("button[value='moins']");
            if (minus) { minus.disabled = value <= 0; }
          });
        })
        .catch(function () { /* keep the figures shown; the next tap reloads them */ });
    };
    window.setInterval(update, 5000);
  }
})();
