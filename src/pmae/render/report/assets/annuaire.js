/* The directory's search box (pmae report): words, theme, stage and département together.
   Progressive enhancement: without this script the form stays hidden and the static filtered
   pages do the filtering. The offers carry their codes in data-* attributes: the page is its
   own index, nothing is fetched, so it works from a folder opened offline. The query string
   (?q=...&theme=...&etape=...&dep=...) fills the form, so the coverage heatmap can link to the
   offers of one cell. */
(function () {
  "use strict";
  var form = document.getElementById("recherche");
  if (!form || !window.URLSearchParams) { return; }
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function codes(element, name) {
    return (element.getAttribute("data-" + name) || "").split(" ").filter(Boolean);
  }
  var actors = Array.prototype.map.call(document.querySelectorAll("section.actor"), function (section) {
    var heading = section.querySelector("h2");
    var name = heading ? heading.textContent : "";
    return {
      element: section,
      offers: Array.prototype.map.call(section.querySelectorAll("article.offer"), function (offer) {
        return {
          element: offer, text: fold(name + " " + offer.textContent),
          theme: codes(offer, "themes"), etape: codes(offer, "stages"), dep: codes(offer, "deps")
        };
      })
    };
  });
  var status = document.getElementById("recherche-resultat");
  var fields = ["theme", "etape", "dep"];
  function apply() {
    var words = fold(form.elements.q.value).split(/\s+/).filter(Boolean);
    var chosen = {};
    fields.forEach(function (field) {
      if (form.elements[field]) { chosen[field] = form.elements[field].value; }
    });
    var filtering = words.length > 0 || fields.some(function (f) { return chosen[f]; });
    var shown = 0;
    actors.forEach(function (actor) {
      var visible = 0;
      actor.offers.forEach(function (offer) {
        var keep = words.every(function (w) { return offer.text.indexOf(w) >= 0; }) &&
          fields.every(function (f) { return !chosen[f] || offer[f].indexOf(chosen[f]) >= 0; });
        offer.element.hidden = !keep;
        if (keep) { visible += 1; }
      });
      actor.element.hidden = filtering && visible === 0;
      shown += visible;
    });
    if (status) {
      status.textContent = filtering ? status.getAttribute("data-found").replace("{n}", shown) : "";
    }
  }
  var params = new URLSearchParams(window.location.search);
  ["q"].concat(fields).forEach(function (field) {
    var input = form.elements[field];
    if (input && params.has(field)) {
      input.value = params.get(field);
      /* An unknown code leaves a select on "all": say so rather than filter on nothing. */
      if (input.value !== params.get(field)) { input.value = ""; }
    }
  });
  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  apply();
  /* The page was laid out before filtering: go again to the offer the address names. */
  if (window.location.hash) {
    var target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    if (target) { target.scrollIntoView(); }
  }
}());
