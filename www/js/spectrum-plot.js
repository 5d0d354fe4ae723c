// The spectrum panel: the picture's radially averaged power spectrum on log–log
// axes, the same spectrum scaled by ᾱ (what is left of it at t), the flat noise
// floor 1 − ᾱ, and the crossing point beyond which detail is drowned.

const COLORS = { grid: "#2f333a", text: "#a9a69d", clean: "#6b675e", signal: "#f2b84b", noise: "#7fb5ff", drowned: "rgba(127,181,255,0.14)" };

export function drawSpectrum(canvas, spectrum, mix, crossing) {
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || canvas.width;
  const cssH = Math.round(cssW * 300 / 560);
  if (canvas.width !== Math.round(cssW * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  if (!spectrum || spectrum.freq.length === 0) return;

  const pad = { l: 52, r: 12, t: 14, b: 40 };
  const w = cssW - pad.l - pad.r;
  const h = cssH - pad.t - pad.b;
  const fMin = spectrum.freq[0], fMax = 0.5;
  // Log axes need positive bounds: bins with no power at all (flat pictures) sit on the floor.
  const positive = spectrum.power.filter((p) => p > 0);
  const pMax = Math.max(...positive, 1) * 2;
  const pMin = Math.max(Math.min(...positive, 1e-4) / 4, pMax * 1e-12);
  const x = (f) => pad.l + (Math.log(f / fMin) / Math.log(fMax / fMin)) * w;
  const y = (p) => pad.t + (1 - Math.log(Math.max(p, pMin) / pMin) / Math.log(pMax / pMin)) * h;

  ctx.font = "12px system-ui, sans-serif";
  ctx.lineWidth = 1;
  // Decades of power.
  ctx.fillStyle = COLORS.text;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let e = Math.ceil(Math.log10(pMin)); e <= Math.floor(Math.log10(pMax)); e++) {
    const yy = y(10 ** e);
    ctx.strokeStyle = COLORS.grid;
    ctx.beginPath(); ctx.moveTo(pad.l, yy); ctx.lineTo(pad.l + w, yy); ctx.stroke();
    ctx.fillText(`10${superscript(e)}`, pad.l - 6, yy);
  }
  // Detail sizes (period in pixels) along the frequency axis.
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (let period = 2; 1 / period >= fMin; period *= 4) {
    const xx = x(1 / period);
    ctx.strokeStyle = COLORS.grid;
    ctx.beginPath(); ctx.moveTo(xx, pad.t); ctx.lineTo(xx, pad.t + h); ctx.stroke();
    ctx.fillText(`${period} px`, xx, pad.t + h + 4);
  }
  ctx.fillText("size of detail (one period) — broad shapes left, fine detail right", pad.l + w / 2, pad.t + h + 20);

  // The drowned region.
  const noise = 1 - mix.alphaBar;
  if (crossing?.kind === "at") {
    ctx.fillStyle = COLORS.drowned;
    ctx.fillRect(x(crossing.freq), pad.t, pad.l + w - x(crossing.freq), h);
  } else if (crossing?.kind === "allBelowNoise") {
    ctx.fillStyle = COLORS.drowned;
    ctx.fillRect(pad.l, pad.t, w, h);
  }
  const curve = (scale, color, dash) => {
    ctx.strokeStyle = color;
    ctx.setLineDash(dash);
    ctx.lineWidth = 2;
    ctx.beginPath();
    spectrum.freq.forEach((f, i) => {
      const px = x(f), py = y(scale * spectrum.power[i]);
      i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
    });
    ctx.stroke();
    ctx.setLineDash([]);
  };
  curve(1, COLORS.clean, [4, 4]);
  curve(mix.alphaBar, COLORS.signal, []);
  if (noise > 0) {
    ctx.strokeStyle = COLORS.noise;
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(pad.l, y(noise)); ctx.lineTo(pad.l + w, y(noise)); ctx.stroke();
  }
  if (crossing?.kind === "at") {
    const xx = x(crossing.freq);
    ctx.strokeStyle = COLORS.ink ?? "#eceae4";
    ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(xx, pad.t); ctx.lineTo(xx, pad.t + h); ctx.stroke();
    ctx.fillStyle = "#eceae4";
    ctx.textAlign = xx > pad.l + w * 0.7 ? "right" : "left";
    ctx.textBaseline = "top";
    ctx.fillText(` ≈ ${formatPeriod(crossing.period)} `, xx, pad.t + 2);
  }
  // Legend.
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  const legend = [["picture at t", COLORS.signal], ["noise", COLORS.noise], ["original", COLORS.clean]];
  legend.forEach(([label, color], i) => {
    const lx = pad.l + 10, ly = pad.t + h - 42 + i * 16;
    ctx.fillStyle = color; ctx.fillRect(lx, ly - 2, 14, 4);
    ctx.fillStyle = COLORS.text; ctx.fillText(label, lx + 20, ly);
  });
  ctx.textAlign = "center";
  ctx.save();
  ctx.translate(12, pad.t + h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillStyle = COLORS.text;
  ctx.fillText("power", 0, 0);
  ctx.restore();
}

export function formatPeriod(period) {
  return period >= 10 ? `${Math.round(period)} px` : `${period.toFixed(1)} px`;
}

function superscript(n) {
  const map = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  return String(n).split("").map((c) => map[c]).join("");
}
