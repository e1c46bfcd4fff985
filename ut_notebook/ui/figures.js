// Plotly figures in one widget (anywidget ESM; no build step): the `sections` trait
// ([{heading, figures}]) drawn one under the other, and redrawn in place
// (Plotly.react) when it changes. plotly.js arrives in the `_plotly_js` trait and is
// evaluated once per page and version when a view first renders: kept out of this
// module so that importing the module stays well within the 2 seconds anywidget
// allows a model (see figures.py).

const CACHE = Symbol.for("ut_notebook.figures.plotly");

function loadPlotly(model) {
  const version = model.get("_plotly_version");
  const cache = (globalThis[CACHE] ??= new Map());
  if (!cache.has(version)) cache.set(version, evaluate(model.get("_plotly_js"), version));
  return cache.get(version);
}

async function evaluate(source, version) {
  // plotly's "notebook" renderer may have put this very plotly.js in the page already.
  if (globalThis.Plotly?.version === version) return globalThis.Plotly;
  // The bundle, imported as a module, sets window.Plotly (and window.moduleName): give
  // the page its own values back, so other outputs keep the plotly.js they loaded.
  const names = ["Plotly", "moduleName"];
  const saved = names.map((name) => Object.getOwnPropertyDescriptor(globalThis, name));
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    await import(/* webpackIgnore: true */ /* @vite-ignore */ url);
    return globalThis.Plotly;
  } finally {
    URL.revokeObjectURL(url);
    names.forEach((name, i) => {
      if (saved[i]) Object.defineProperty(globalThis, name, saved[i]);
      else delete globalThis[name];
    });
  }
}

function make(tag, className) {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}

// Make `parent` hold exactly `count` children made by `create`; purge the plots dropped.
function fit(plotly, parent, count, create) {
  while (parent.children.length > count) {
    const last = parent.lastElementChild;
    const plots = last.matches(".ut-figure") ? [last] : last.querySelectorAll(".ut-figure");
    for (const plot of plots) plotly.purge(plot);
    last.remove();
  }
  while (parent.children.length < count) parent.append(create());
  return [...parent.children];
}

function render({ model, el }) {
  el.classList.add("ut-figures");
  let plotly = null;
  let alive = true;

  function draw() {
    if (!alive || !plotly) return;
    const sections = model.get("sections") || [];
    const nodes = fit(plotly, el, sections.length, () => {
      const node = make("section", "ut-figures-section");
      node.append(make("h2", "ut-figures-heading"), make("div", "ut-figures-charts"));
      return node;
    });
    sections.forEach((section, i) => {
      const [heading, charts] = nodes[i].children;
      heading.textContent = section.heading || "";
      heading.hidden = !section.heading;
      const figures = section.figures || [];
      const plots = fit(plotly, charts, figures.length, () => make("div", "ut-figure"));
      figures.forEach((figure, j) => {
        plotly.react(plots[j], figure.data || [], figure.layout || {}, figure.config || {});
      });
    });
  }

  // A view is often drawn before it is in the page (no width yet), and its column can
  // change width without the window resizing: follow the element's own size. Not while
  // it is hidden (no width): plotly would size the charts for nothing, or reject.
  const resize = new ResizeObserver(() => {
    if (!plotly || !el.offsetWidth) return;
    for (const plot of el.querySelectorAll(".ut-figure")) {
      if (plot._fullLayout) plotly.Plots.resize(plot);
    }
  });
  resize.observe(el);
  model.on("change:sections", draw);
  loadPlotly(model).then((loaded) => {
    plotly = loaded;
    draw();
  });
  return () => {
    alive = false;
    resize.disconnect();
    model.off("change:sections", draw);
    if (plotly) for (const plot of el.querySelectorAll(".ut-figure")) plotly.purge(plot);
  };
}

export default { render };
