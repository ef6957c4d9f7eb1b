// swapdiag flame graph: tooltips, click-to-zoom and search.
//
// src/report/svg_write.c writes each frame as <g data-s data-n> (its first
// sample and its width, in samples) holding a <title> ("name\nsamples,
// share\nkind"), a <rect> and, when it fits, a <text>.  Zooming places
// every frame again from those sample numbers; nothing is fetched.
// The state is kept in the URL (?s=search&z=depth.first-sample) where the
// browser allows it, so a zoomed or searched view can be shared.
"use strict";
(function () {
	var svg = document.documentElement;
	var NS = "http://www.w3.org/2000/svg";
	var frames = [], byG = new Map();
	var W, PAD, FH, BASE, TOTAL, UNIT = "samples", CW = 7.2;
	var root = null, zoomed = null, term = null;
	var details, matched, unzoomBtn, searchBtn;

	function num(v) {
		return String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	}
	function pct(n, of) {
		return of ? (100 * n / of).toFixed(2) + "%" : "0%";
	}
	function say(el, s) {
		el.textContent = s;
	}

	// the average glyph width of the frames' font, as rendered here
	function measure(box) {
		var t = document.createElementNS(NS, "text");
		var sample = "copy_page_range__swap_duplicate_raw_spin_lock";
		t.textContent = sample;
		box.appendChild(t);
		var w = t.getComputedTextLength();
		box.removeChild(t);
		if (w > 0)
			CW = w / sample.length;
	}

	// the label that fits w pixels by the average glyph width; fit()
	// shortens the few that the font makes wider
	function label(f, x, w) {
		var n = Math.floor((w - 6) / CW), s = "";
		if (n >= 3)
			s = f.name.length <= n ? f.name : f.name.slice(0, n - 2) + "..";
		f.room = w - 6;
		if (!f.text) {
			if (!s)
				return;
			f.text = document.createElementNS(NS, "text");
			f.text.setAttribute("y", +f.rect.getAttribute("y") + 11);
			f.g.appendChild(f.text);
		}
		f.text.setAttribute("x", (x + 3).toFixed(1));
		f.text.textContent = s;
	}

	// measures every label at once (one layout), then shortens those
	// that overflow
	function fit(shown) {
		var wide = [];
		for (var i = 0; i < shown.length; i++) {
			var t = shown[i].text;
			if (t && t.textContent.length > 3 &&
			    t.getComputedTextLength() > shown[i].room)
				wide.push(shown[i]);
		}
		for (var k = 0; k < wide.length; k++) {
			var f = wide[k], s = f.text.textContent;
			while (s.length > 3 && f.text.getComputedTextLength() > f.room) {
				s = s.slice(0, Math.max(1, s.length - 4)) + "..";
				f.text.textContent = s;
			}
		}
	}

	function place(f, x, w) {
		f.rect.setAttribute("x", x.toFixed(1));
		f.rect.setAttribute("width", w.toFixed(1));
		label(f, x, w);
	}

	function show(f, cls) {
		f.g.classList.remove("hide");
		f.g.classList.toggle("anc", cls === "anc");
		if (cls === "hide")
			f.g.classList.add("hide");
	}

	function zoom(z) {
		zoomed = z;
		var scale = W / z.n, shown = [];
		for (var i = 0; i < frames.length; i++) {
			var f = frames[i];
			if (f.d >= z.d && f.s >= z.s && f.s + f.n <= z.s + z.n) {
				show(f, "");
				place(f, PAD + (f.s - z.s) * scale, f.n * scale);
				shown.push(f);
			} else if (f.d < z.d && f.s <= z.s &&
				   f.s + f.n >= z.s + z.n) {
				show(f, "anc");
				place(f, PAD, W);
				shown.push(f);
			} else {
				show(f, "hide");
			}
		}
		fit(shown);
		unzoomBtn.classList.toggle("hide", z === root);
		remember();
		if (term !== null)
			search(term);
	}

	function regexp(t) {
		var flags = /[A-Z]/.test(t) ? "" : "i";
		try {
			return new RegExp(t, flags);
		} catch (e) {
			return new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
					  flags);
		}
	}

	// highlights the frames whose name matches; the matched share is of
	// the zoomed frame, counting nested matches once
	function search(t) {
		term = t;
		var re = regexp(t), hits = [];
		var z = zoomed;
		for (var i = 0; i < frames.length; i++) {
			var f = frames[i];
			var hit = !f.merged && re.test(f.name);
			f.g.classList.toggle("hit", hit);
			if (!hit)
				continue;
			var s = Math.max(f.s, z.s);
			var e = Math.min(f.s + f.n, z.s + z.n);
			if (e > s)
				hits.push([s, e]);
		}
		hits.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
		var count = 0, end = -1;
		for (var k = 0; k < hits.length; k++) {
			if (hits[k][1] <= end)
				continue;
			count += hits[k][1] - Math.max(hits[k][0], end);
			end = hits[k][1];
		}
		say(searchBtn.lastChild, "Reset Search");
		matched.classList.remove("hide");
		say(matched, "Matched: " + pct(count, z.n) + " (" + num(count) +
		    " of " + num(z.n) + " " + UNIT + ")");
		remember();
	}

	function reset_search() {
		term = null;
		for (var i = 0; i < frames.length; i++)
			frames[i].g.classList.remove("hit");
		say(searchBtn.lastChild, "Search");
		matched.classList.add("hide");
		remember();
	}

	function ask() {
		if (term !== null) {
			reset_search();
			return;
		}
		var t = window.prompt("Search frames (regular expression, " +
				      "case-insensitive without capitals):", "");
		if (t)
			search(t);
	}

	function remember() {
		var q = [];
		if (term !== null)
			q.push("s=" + encodeURIComponent(term));
		if (zoomed && zoomed !== root)
			q.push("z=" + zoomed.d + "." + zoomed.s);
		try {
			history.replaceState(null, "", location.pathname +
					     (q.length ? "?" + q.join("&") : ""));
		} catch (e) {
			// file: URLs may refuse; the state just is not kept
		}
	}

	function param(name) {
		var m = new RegExp("[?&]" + name + "=([^&]*)").exec(location.search);
		return m ? decodeURIComponent(m[1].replace(/\+/g, " ")) : null;
	}

	function frame_of(node) {
		for (; node && node !== svg; node = node.parentNode)
			if (byG.has(node))
				return byG.get(node);
		return null;
	}

	function hover(f) {
		if (!f) {
			say(details, " ");
			return;
		}
		var s = f.name + " (" + num(f.n) + " " + UNIT + ", " + pct(f.n, TOTAL);
		if (zoomed !== root)
			s += "; " + pct(f.n, zoomed.n) + " of the zoomed frame";
		say(details, s + ")");
	}

	function setup() {
		var box = document.getElementById("frames");
		details = document.getElementById("details");
		matched = document.getElementById("matched");
		unzoomBtn = document.getElementById("unzoom");
		searchBtn = document.getElementById("search");
		W = +box.getAttribute("data-width");
		PAD = +box.getAttribute("data-pad");
		FH = +box.getAttribute("data-fh");
		BASE = +box.getAttribute("data-base");
		TOTAL = +box.getAttribute("data-total");
		UNIT = box.getAttribute("data-unit") || "samples";
		var gs = box.children;
		for (var i = 0; i < gs.length; i++) {
			var g = gs[i], r = g.querySelector("rect");
			var info = g.querySelector("title").textContent;
			var f = {
				g: g, rect: r, text: g.querySelector("text"),
				s: +g.getAttribute("data-s"),
				n: +g.getAttribute("data-n"),
				d: Math.round((BASE - +r.getAttribute("y")) / FH),
				name: info.split("\n")[0],
				merged: g.classList.contains("merged")
			};
			frames.push(f);
			byG.set(g, f);
		}
		if (!frames.length)
			return;
		root = frames[0];
		measure(box);

		box.addEventListener("click", function (e) {
			var f = frame_of(e.target);
			if (f)
				zoom(f);
		});
		box.addEventListener("mouseover", function (e) {
			hover(frame_of(e.target));
		});
		box.addEventListener("mouseout", function () {
			hover(null);
		});
		unzoomBtn.addEventListener("click", function () {
			zoom(root);
		});
		searchBtn.addEventListener("click", ask);
		window.addEventListener("keydown", function (e) {
			if ((e.ctrlKey || e.metaKey) && e.key === "f" ||
			    e.key === "F3") {
				e.preventDefault();
				ask();
			} else if (e.key === "Escape") {
				if (term !== null)
					reset_search();
				else if (zoomed !== root)
					zoom(root);
			}
		});

		var z = root, zp = param("z");
		if (zp) {
			var p = zp.split(".");
			for (var k = 0; k < frames.length; k++)
				if (frames[k].d === +p[0] && frames[k].s === +p[1] &&
				    !frames[k].merged) {
					z = frames[k];
					break;
				}
		}
		var s = param("s");
		if (s)
			term = s;
		zoom(z);
	}

	/* Opened on its own, the page is scaled to the window, so the whole
	 * graph (and its red frames at the bottom) is on the first screen. */
	function fit() {
		var svg = document.documentElement;
		if (svg.localName !== "svg" || !window.innerHeight)
			return;
		svg.setAttribute("preserveAspectRatio", "xMidYMin meet");
		svg.setAttribute("width", window.innerWidth);
		svg.setAttribute("height", window.innerHeight);
	}

	window.addEventListener("load", fit);
	window.addEventListener("resize", fit);
	window.addEventListener("load", setup);
})();
