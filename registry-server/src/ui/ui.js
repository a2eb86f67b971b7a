// evreg UI enhancements; every page works without this file.
"use strict";
document.addEventListener("click", (e) => {
  // A schema line copies its JSON pointer.
  const line = e.target.closest("pre.json .ln");
  if (!line || !navigator.clipboard) return;
  const pointer = line.dataset.pointer;
  navigator.clipboard.writeText(pointer).then(() => {
    const note = document.createElement("div");
    note.className = "copied";
    note.textContent = "copied " + pointer;
    document.body.appendChild(note);
    setTimeout(() => note.remove(), 1200);
  }, () => {});
});
