// The uploads page: drag and drop or choose a file, ask for a grant, then
// PUT the file with a progress bar. No framework; the page works without it
// except for uploading.
(function () {
  "use strict";
  var drop = document.getElementById("drop");
  if (!drop) return;
  var input = document.getElementById("file");
  var bar = document.getElementById("progress");
  var status = document.getElementById("upload-status");
  var csrf = drop.getAttribute("data-csrf");
  var max = Number(drop.getAttribute("data-max"));

  function say(msg) { status.textContent = msg; }

  function send(file) {
    if (file.size > max) { say(file.name + " is larger than the " + Math.round(max / 1048576) + " MB limit."); return; }
    say("Preparing " + file.name + "…");
    var grant = new XMLHttpRequest();
    grant.open("POST", "/api/v1/uploads");
    grant.setRequestHeader("Content-Type", "application/json");
    grant.setRequestHeader("X-CSRF-Token", csrf);
    grant.onload = function () {
      if (grant.status !== 201) { say("Upload refused: " + grant.responseText); return; }
      var g = JSON.parse(grant.responseText);
      var put = new XMLHttpRequest();
      put.open("PUT", g.upload_url);
      put.setRequestHeader("X-CSRF-Token", csrf);
      bar.hidden = false; bar.value = 0;
      put.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
      put.onload = function () {
        if (put.status !== 202) { say("Upload failed: " + put.responseText); return; }
        bar.value = 100;
        say("Uploaded " + file.name + ". Triage is running…");
        poll(g.id, 0);
      };
      put.onerror = function () { say("Upload failed: the connection broke."); };
      put.send(file);
    };
    grant.send(JSON.stringify({ name: file.name, size: file.size, case_ref: document.getElementById("caseref").value }));
  }

  function poll(id, n) {
    var x = new XMLHttpRequest();
    x.open("GET", "/api/v1/uploads/" + encodeURIComponent(id));
    x.onload = function () {
      if (x.status !== 200) return;
      var st = JSON.parse(x.responseText);
      if (st.status === "triaged" || st.status === "quarantined" || st.status === "failed") {
        say("Upload " + st.status + "." + (st.case_id ? " Case " + st.case_id + "." : ""));
        if (st.case_id) window.setTimeout(function () { window.location.reload(); }, 800);
        return;
      }
      if (n < 120) window.setTimeout(function () { poll(id, n + 1); }, 1000);
    };
    x.send();
  }

  input.addEventListener("change", function () { if (input.files.length) send(input.files[0]); });
  ["dragenter", "dragover"].forEach(function (ev) {
    drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (ev) {
    drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) { if (e.dataTransfer.files.length) send(e.dataTransfer.files[0]); });
})();
