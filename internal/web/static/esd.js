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
})();
