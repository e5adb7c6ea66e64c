// The console's few scripts: AUP gate countdowns and the small charts. No inline script (CSP).
(function () {
  'use strict';
  function countdowns() {
    var started = Date.now();
    var els = document.querySelectorAll('.countdown[data-opens-in]');
    if (!els.length) return;
    setInterval(function () {
      var passed = Math.floor((Date.now() - started) / 1000);
      els.forEach(function (el) {
        var left = Number(el.getAttribute('data-opens-in')) - passed;
        el.textContent = left > 0 ? 'in ' + left + ' s' : 'now';
      });
    }, 1000);
  }
  function charts() {
    if (typeof uPlot === 'undefined') return;
    document.querySelectorAll('.chart[data-chart]').forEach(function (el) {
      var source = document.getElementById(el.getAttribute('data-chart'));
      if (!source) return;
      var d = JSON.parse(source.textContent);
      new uPlot({
        width: 440, height: 160, legend: { show: false },
        series: [{}, { label: d.label, stroke: '#0a58ca', fill: 'rgba(10,88,202,0.12)', width: 2 }],
        axes: [{}, { size: 48 }]
      }, [d.x, d.y], el);
    });
  }
  document.addEventListener('DOMContentLoaded', function () { countdowns(); charts(); });
})();
