// Meshwarden dashboard: the little that needs a script. Every page reads fine without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Times are sent in UTC; show them in the viewer's time zone and keep UTC on hover (the title).
  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d.getTime())) {
      t.textContent = d.toLocaleString();
      t.title = t.getAttribute("datetime").replace("T", " ").replace("Z", " UTC");
    }
  });
  // Copy buttons appear only where the clipboard can be written.
  if (navigator.clipboard) {
    document.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () {
        var source = document.getElementById(b.getAttribute("data-copy"));
        navigator.clipboard.writeText(source.textContent).then(function () {
          b.textContent = "Copied";
          setTimeout(function () { b.textContent = "Copy"; }, 1500);
        });
      });
    });
  }
});
