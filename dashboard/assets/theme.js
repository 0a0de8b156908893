// The console's client-side helpers: the theme switch runs in the browser (no server round trip).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  zerocarbon: {
    toggleTheme: function (clicks, theme) {
      const trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
      let next = theme || "light";
      if (trigger.startsWith("theme-toggle") && clicks) {
        next = next === "dark" ? "light" : "dark";
      }
      document.body.classList.toggle("dark", next === "dark");
      return next;
    }
  }
});

// What a chart or table shows, as data for the server's CSV/Excel writer (dashboard/exports.py).
window.dash_clientside.zerocarbon.exportView = function (clicks) {
  const trigger = window.dash_clientside.callback_context.triggered_id;
  if (!trigger || !clicks.some(Boolean)) { return window.dash_clientside.no_update; }
  const holder = document.getElementById(trigger.target);
  if (!holder) { return window.dash_clientside.no_update; }
  const plot = holder.classList.contains("js-plotly-plot") ? holder : holder.querySelector(".js-plotly-plot");
  let view;
  if (plot && plot._fullData) {
    const sankey = plot._fullData.find(t => t.type === "sankey");
    if (sankey) {
      const labels = Array.from(sankey.node.label);
      view = {kind: "sankey", links: Array.from(sankey.link.source).map((s, i) =>
        [labels[s], labels[sankey.link.target[i]], sankey.link.value[i]])};
    } else {
      view = {kind: "traces", traces: plot._fullData.filter(t => t.visible !== false).map(t => ({
        name: t.name, orientation: t.orientation, x: Array.from(t.x || []), y: Array.from(t.y || [])}))};
    }
  } else {
    const table = holder.tagName === "TABLE" ? holder : holder.querySelector("table");
    if (!table) { return window.dash_clientside.no_update; }
    view = {kind: "table", rows: Array.from(table.rows).map(r => Array.from(r.cells).map(c => c.innerText))};
  }
  return {target: trigger.target, fmt: trigger.fmt, view: view, at: Date.now()};
};

// The date pickers' weekday and month names follow the console's language, not the browser's. Dash 4's
// pickers (date-fns) take the locale in window.dateFns.locale that the browser's languages name, else the first
// one loaded; so only the page's language is left there (none: date-fns' own English). date-fns-zh-CN.min.js
// registered zhCN before this file ran (assets load in name order).
// The charts' date ticks and tool tips too (plotly-locale-zh-cn.js): plotly's default locale for every chart
// drawn from now on.
window.dash_clientside.zerocarbon.dateLocale = function (lang) {
  const loaded = window.zerocarbonDateLocales =
    window.zerocarbonDateLocales || Object.assign({}, (window.dateFns || {}).locale);
  window.dateFns = Object.assign({}, window.dateFns, {locale: lang === "en" ? {} : {zhCN: loaded.zhCN}});
  window.zerocarbonPlotLocale = lang === "en" ? "en-US" : "zh-CN";
  if (window.Plotly && window.Plotly.setPlotConfig) {
    window.Plotly.setPlotConfig({locale: window.zerocarbonPlotLocale});
  }
  return lang;
};

// Dash loads plotly.js asynchronously and may draw the first chart the moment it arrives, before any callback
// could set its locale: catch plotly's own `window.Plotly = ...` and set the locale in that instant.
if (!window.Plotly) {
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get: function () { return undefined; },
    set: function (plotly) {
      Object.defineProperty(window, "Plotly", {value: plotly, writable: true, configurable: true, enumerable: true});
      if (plotly && plotly.setPlotConfig) {
        plotly.setPlotConfig({locale: window.zerocarbonPlotLocale || "zh-CN"});
      }
    }
  });
}
