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
