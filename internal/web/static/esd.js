// ESD page behaviour. No inline scripts (the CSP forbids them): pages mark elements with
// data attributes and this file wires them up.
(function () {
  'use strict';
  // Background jobs: poll /api/v1/jobs/{id} and move the progress bar until done.
  var job = document.getElementById('job');
  if (job && job.dataset.state === 'running') {
    var id = job.dataset.jobId;
    var tick = function () {
      fetch('/api/v1/jobs/' + id, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (v) {
        var bar = document.getElementById('job-bar');
        bar.style.width = v.percent + '%';
        bar.setAttribute('aria-valuenow', v.percent);
        document.getElementById('job-count').textContent = v.job.done + ' / ' + v.job.total;
        if (v.job.state !== 'running') { window.location.reload(); return; }
        setTimeout(tick, 700);
      }).catch(function () { setTimeout(tick, 2000); });
    };
    setTimeout(tick, 500);
  }
  // Forms marked data-confirm ask before submitting.
  document.querySelectorAll('form[data-confirm]').forEach(function (f) {
    f.addEventListener('submit', function (e) { if (!window.confirm(f.dataset.confirm)) { e.preventDefault(); } });
  });
  // Selects marked data-autosubmit submit their form on change (filters).
  document.querySelectorAll('select[data-autosubmit]').forEach(function (s) {
    s.addEventListener('change', function () { s.form.submit(); });
  });
  // Forms marked data-upload-progress send their file with a progress bar (the upload of a
  // large report takes a while), then show the page the server answers with. Without
  // JavaScript they submit as usual.
  document.querySelectorAll('form[data-upload-progress]').forEach(function (f) {
    f.addEventListener('submit', function (e) {
      if (!window.XMLHttpRequest || !window.FormData) { return; }
      e.preventDefault();
      var wrap = f.querySelector('[data-upload-bar]');
      var bar = wrap ? wrap.querySelector('.progress-bar') : null;
      var status = f.querySelector('[data-upload-status]');
      if (wrap) { wrap.classList.remove('d-none'); }
      if (status) { status.classList.remove('d-none'); status.textContent = document.documentElement.lang === 'en' ? 'Uploading…' : 'Caricamento…'; }
      var x = new XMLHttpRequest();
      x.open('POST', f.getAttribute('action'));
      x.upload.addEventListener('progress', function (ev) {
        if (!ev.lengthComputable || !bar) { return; }
        var p = Math.round(ev.loaded * 100 / ev.total);
        bar.style.width = p + '%';
        bar.setAttribute('aria-valuenow', p);
        if (p >= 100 && status) { status.textContent = document.documentElement.lang === 'en' ? 'Checking the report…' : 'Verifica del rapporto in corso…'; }
      });
      x.addEventListener('load', function () {
        document.open();
        document.write(x.responseText);
        document.close();
      });
      x.addEventListener('error', function () { f.submit(); });
      x.send(new FormData(f));
    });
  });
})();
