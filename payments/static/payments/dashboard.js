/* Draws the admin's payments dashboard from the JSON data block #dashboard-data (Chart.js,
 * served locally from payments/vendor/). No inline script or style: works under a strict CSP. */
(function () {
  "use strict";

  var COLORS = {
    blue: "#417690",
    green: "#2e7d32",
    orange: "#ef6c00",
    red: "#c62828",
    grey: "#78909c",
    purple: "#6a1b9a",
  };
  var currency = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });

  function brl(value) {
    // One money format across the admin: "R$ 1.234,56" (a plain space after R$).
    return currency.format(value).replace(/\u00a0/g, " ");
  }

  function numbers(values) {
    // Money arrives as strings with two places; parsed for drawing only.
    return values.map(function (value) { return Number(value); });
  }

  function moneyAxis() {
    return {
      beginAtZero: true,
      ticks: { callback: function (value) { return brl(value); } },
    };
  }

  function moneyTooltip() {
    return {
      callbacks: {
        label: function (item) { return item.dataset.label + ": " + brl(item.parsed.y); },
      },
    };
  }

  function countAxis() {
    return { beginAtZero: true, ticks: { precision: 0 } };
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) { return null; }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    return new window.Chart(canvas, config);
  }

  function start() {
    var source = document.getElementById("dashboard-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var labels = data.labels;

    draw("chart-charges", {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { label: "Cobranças", data: data.charges, backgroundColor: COLORS.blue },
          { label: "Pagas", data: data.paid, backgroundColor: COLORS.green },
        ],
      },
      options: { scales: { y: countAxis() } },
    });

    draw("chart-paid-volume", {
      type: "line",
      data: {
        labels: labels,
        datasets: [{
          label: "Valor pago",
          data: numbers(data.paid_amount),
          borderColor: COLORS.green,
          backgroundColor: COLORS.green,
          tension: 0.2,
        }],
      },
      options: { scales: { y: moneyAxis() }, plugins: { tooltip: moneyTooltip() } },
    });

    draw("chart-split", {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { label: "Plataforma", data: numbers(data.platform_revenue), backgroundColor: COLORS.purple },
          { label: "Profissionais", data: numbers(data.professional_payouts), backgroundColor: COLORS.orange },
        ],
      },
      options: {
        scales: { x: { stacked: true }, y: Object.assign(moneyAxis(), { stacked: true }) },
        plugins: { tooltip: moneyTooltip() },
      },
    });

    draw("chart-failures", {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { label: "Cobranças com falha", data: data.failed, backgroundColor: COLORS.red },
          { label: "Chamadas ao Asaas com falha", data: data.failed_calls, backgroundColor: COLORS.grey },
        ],
      },
      options: { scales: { y: countAxis() } },
    });

    var outcomes = Object.keys(data.webhooks_last_24h);
    draw("chart-webhooks", {
      type: "bar",
      data: {
        labels: ["Aguardando", "Parados", "Com falha"].concat(outcomes.map(function (o) { return o + " (24 h)"; })),
        datasets: [{
          label: "Eventos",
          data: [data.backlog.waiting, data.backlog.stranded, data.backlog.failed].concat(
            outcomes.map(function (o) { return data.webhooks_last_24h[o]; })),
          backgroundColor: [COLORS.orange, COLORS.red, COLORS.red].concat(outcomes.map(function () { return COLORS.blue; })),
        }],
      },
      options: { indexAxis: "y", scales: { x: countAxis() }, plugins: { legend: { display: false } } },
    });
    document.getElementById("payments-dashboard").setAttribute("data-ready", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
