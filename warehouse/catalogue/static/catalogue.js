// Kommundialog catalogue page: sorts meetings by the reader's date and filters them
// (municipality, activity, topic, date).
// Works from a file or any static host; reads only data-* attributes, never writes HTML.
(function () {
  "use strict";

  function isoDay(date) {
    var month = String(date.getMonth() + 1).padStart(2, "0");
    var day = String(date.getDate()).padStart(2, "0");
    return date.getFullYear() + "-" + month + "-" + day;
  }

  // The reader's date; '?idag=YYYY-MM-DD' shows the page as of another day.
  function today() {
    var asked = new URLSearchParams(window.location.search).get("idag");
    return asked && /^\d{4}-\d{2}-\d{2}$/.test(asked) ? asked : isoDay(new Date());
  }

  var upcomingBody = document.querySelector("#upcoming tbody");
  var pastBody = document.querySelector("#past tbody");
  var form = document.getElementById("filters");
  if (!upcomingBody || !pastBody || !form) {
    return;
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-meeting]"));
  var day = today();

  function byDate(a, b) {
    return a.dataset.date < b.dataset.date ? -1 : a.dataset.date > b.dataset.date ? 1 : 0;
  }

  // Upcoming meetings first in date order; past ones newest first, undated last.
  function distribute() {
    var upcoming = rows.filter(function (r) { return r.dataset.date && r.dataset.date >= day; });
    var past = rows.filter(function (r) { return !(r.dataset.date && r.dataset.date >= day); });
    upcoming.sort(byDate);
    past.sort(function (a, b) {
      if (!a.dataset.date || !b.dataset.date) { return a.dataset.date ? -1 : b.dataset.date ? 1 : 0; }
      return byDate(b, a);
    });
    upcoming.forEach(function (r) { upcomingBody.appendChild(r); });
    past.forEach(function (r) { pastBody.appendChild(r); });
  }

  function value(name) {
    var field = form.elements.namedItem(name);
    return field ? field.value : "";
  }

  function matches(row) {
    var kommun = value("kommun");
    var topic = value("amne");
    var activity = value("aktivitet");
    var from = value("fran");
    var to = value("till");
    var date = row.dataset.date;
    if (kommun && row.dataset.kommun !== kommun) { return false; }
    if (activity && row.dataset.activity !== activity) { return false; }
    if (topic && row.dataset.topics.split(" ").indexOf(topic) < 0) { return false; }
    if (from && (!date || date < from)) { return false; }
    if (to && (!date || date > to)) { return false; }
    return true;
  }

  function showEmpty(body, id) {
    var visible = Array.prototype.some.call(body.rows, function (r) { return !r.hidden; });
    document.getElementById(id).hidden = visible;
  }

  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      row.hidden = !matches(row);
      if (!row.hidden) { shown += 1; }
    });
    showEmpty(upcomingBody, "upcoming-empty");
    showEmpty(pastBody, "past-empty");
    document.getElementById("filter-status").textContent =
      "Visar " + shown + " av " + rows.length + (rows.length === 1 ? " möte" : " möten") +
      " (showing " + shown + " of " + rows.length + ")";
  }

  distribute();
  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  apply();
})();
