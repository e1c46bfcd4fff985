// The session viewer's front end (anywidget ESM; no build step).
// Video + transcript cues + task timeline + clip markers. Times are seconds.
// Python owns the data (session_id, video_src, cues, tasks, clips, notes); the browser
// owns playback and reports current_time. Python asks for a seek through `_seek`
// ({time, id}: the id changes so a second seek to the same time still fires).

const pad = (n) => String(n).padStart(2, "0");

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el }) {
  el.classList.add("utv-root");
  let cleanup = () => {};

  function build() {
    cleanup();
    el.replaceChildren();
    el.dataset.session = model.get("session_id");
    const cues = model.get("cues") || [];
    const tasks = model.get("tasks") || [];
    const clips = model.get("clips") || [];
    const src = model.get("video_src");
    const listeners = [];
    const on = (target, name, fn) => {
      target.addEventListener(name, fn);
      listeners.push(() => target.removeEventListener(name, fn));
    };

    // -- header: which session, and what is missing ---------------------------------
    const header = make("div", "utv-header");
    header.append(make("span", "utv-title", `Session ${model.get("session_id") || "–"}`));
    for (const note of model.get("notes") || []) header.append(make("div", "utv-note", note));
    el.append(header);

    const main = make("div", "utv-main");
    const player = make("div", "utv-player");
    const side = make("div", "utv-side");
    main.append(player, side);
    el.append(main);

    // -- the video ----------------------------------------------------------------------
    let video = null;
    let position = model.get("current_time") || 0; // where the viewer is, with or without video
    let errorsForSrc = 0;
    let shortNote = null;
    if (src) {
      video = make("video", "utv-video");
      video.controls = true;
      video.muted = true; // browsers let muted video play without a gesture
      video.playsInline = true;
      video.preload = "metadata";
      video.src = src;
      player.append(video);
    } else {
      player.append(make("div", "utv-novideo", "No video for this session."));
    }

    // -- the timeline: tasks as segments, clips as markers, a playhead ------------------
    const timeline = make("div", "utv-timeline");
    const taskRow = make("div", "utv-tasks");
    const clipRow = make("div", "utv-clips");
    const head = make("div", "utv-playhead");
    timeline.append(taskRow, clipRow, head);
    player.append(timeline);
    const ends = [...tasks.map((t) => t.end), ...cues.map((c) => c.end), ...clips.map((c) => c.end)];
    const dataEnd = Math.max(1, ...ends.filter((x) => Number.isFinite(x)));
    const total = () =>
      Math.max(dataEnd, video && Number.isFinite(video.duration) ? video.duration : 0);
    const pct = (t) => `${(100 * Math.min(Math.max(t, 0), total())) / total()}%`;

    const segments = tasks.map((task, i) => {
      const seg = make("button", "utv-task");
      seg.type = "button";
      seg.dataset.index = String(i);
      seg.dataset.position = String(task.position ?? "");
      const state = task.success === true ? "success" : task.success === false ? "failure" : "unknown";
      seg.classList.add(`utv-${state}`);
      const label = `${task.position ?? ""}. ${task.text || "(no text)"}`;
      seg.title = `${label}\n${clock(task.start)}–${clock(task.end)}` +
        (state === "unknown" ? "" : ` · ${state}`);
      seg.append(make("span", "utv-task-label", String(task.position ?? "")));
      on(seg, "click", () => seek(task.start));
      taskRow.append(seg);
      return seg;
    });
    const markers = clips.map((clip, i) => {
      const mark = make("button", "utv-clip");
      mark.type = "button";
      mark.dataset.index = String(i);
      mark.title = `Clip: ${clip.name || "(no name)"}\n${clock(clip.start)}–${clock(clip.end)}`;
      on(mark, "click", () => seek(clip.start));
      clipRow.append(mark);
      return mark;
    });
    function layout() {
      tasks.forEach((task, i) => {
        segments[i].style.left = pct(task.start);
        segments[i].style.width = `calc(${pct(task.end)} - ${pct(task.start)})`;
      });
      clips.forEach((clip, i) => {
        markers[i].style.left = pct(clip.start);
        markers[i].style.width = `max(4px, calc(${pct(clip.end)} - ${pct(clip.start)}))`;
      });
      head.style.left = pct(position);
    }
    layout();

    // -- the transcript -----------------------------------------------------------------
    let list = null;
    const items = [];
    if (cues.length) {
      list = make("ol", "utv-cues");
      cues.forEach((cue, i) => {
        const li = make("li", "utv-cue");
        li.dataset.index = String(i);
        li.dataset.start = String(cue.start);
        li.append(make("span", "utv-time", clock(cue.start)));
        if (cue.speaker) li.append(make("span", "utv-speaker", cue.speaker));
        li.append(make("span", "utv-text", cue.text));
        if (cue.task !== null && cue.task !== undefined) li.title = `Task ${cue.task}`;
        on(li, "click", () => seek(cue.start));
        list.append(li);
        items.push(li);
      });
      side.append(list);
    } else {
      side.append(make("div", "utv-notranscript", "No transcript for this session."));
    }

    // -- keeping everything in step with the time ---------------------------------------
    let current = -1;
    function highlight(t) {
      // The cue being spoken: the last one started, while it lasts (a small tolerance:
      // a seek may land a frame before the exact start).
      let found = -1;
      for (let i = 0; i < cues.length; i++) {
        if (cues[i].start <= t + 0.05) {
          if (t < cues[i].end) found = i;
        } else break;
      }
      if (found === current) return;
      if (current >= 0) items[current].classList.remove("utv-current");
      current = found;
      if (found >= 0) {
        const li = items[found];
        li.classList.add("utv-current");
        // Scroll the list, not the page: scrollIntoView would move the notebook too.
        const top = li.offsetTop - list.offsetTop;
        if (top < list.scrollTop || top + li.offsetHeight > list.scrollTop + list.clientHeight) {
          list.scrollTop = Math.max(0, top - list.clientHeight / 3);
        }
      }
      tasks.forEach((task, i) =>
        segments[i].classList.toggle("utv-active", task.start <= t && t < task.end));
    }

    let lastSent = null;
    function report(t) {
      position = t;
      head.style.left = pct(t);
      highlight(t);
      // Python hears about it (a Label observing current_time, a later cell...).
      if (lastSent === null || Math.abs(lastSent - t) >= 0.01) {
        lastSent = t;
        model.set("current_time", t);
        model.save_changes();
      }
    }

    function expired() {
      const expires = model.get("video_expires");
      return expires > 0 && Date.now() > expires - 30000;
    }

    function seek(t) {
      t = Math.max(0, t);
      if (video) {
        // A signed URL that has expired cannot load more bytes: ask Python for a new one
        // first; the new source resumes at `position`.
        if (expired()) {
          position = t;
          model.send({ type: "refresh_video" });
          return;
        }
        video.currentTime = t;
      }
      report(t);
    }

    if (video) {
      on(video, "loadedmetadata", () => {
        el.dataset.duration = String(video.duration);
        // A video shorter than the session's timeline (the demo plays one 10-second
        // stand-in for every session): say so, rather than let seeks stop at its end.
        if (Number.isFinite(video.duration) && video.duration + 1 < dataEnd && !shortNote) {
          shortNote = make("div", "utv-note utv-short",
            `The video (${clock(video.duration)}) is shorter than the session's timeline ` +
            `(${clock(dataEnd)}): moments after its end cannot be shown.`);
          header.append(shortNote);
        }
        layout();
        if (position > 0) video.currentTime = position;
      });
      on(video, "timeupdate", () => report(video.currentTime));
      on(video, "seeked", () => report(video.currentTime));
      on(video, "play", () => {
        if (expired()) model.send({ type: "refresh_video" });
      });
      on(video, "error", () => {
        // Most likely an expired signature (403): fetch a new URL, once per source.
        if (errorsForSrc++ === 0) model.send({ type: "refresh_video" });
      });
    }

    const onSeek = () => {
      const request = model.get("_seek");
      if (request && Number.isFinite(request.time)) seek(request.time);
    };
    const onSrc = () => {
      if (!video) return build(); // a video appeared: draw it
      const playing = !video.paused;
      errorsForSrc = 0;
      video.src = model.get("video_src");
      video.addEventListener(
        "loadedmetadata",
        () => {
          video.currentTime = position;
          if (playing) video.play().catch(() => {});
        },
        { once: true },
      );
    };
    model.on("change:_seek", onSeek);
    model.on("change:video_src", onSrc);
    highlight(position);
    cleanup = () => {
      model.off("change:_seek", onSeek);
      model.off("change:video_src", onSrc);
      listeners.forEach((off) => off());
      if (video) video.pause();
    };
  }

  // A new session (viewer.show) or new data: draw again, once per batch of changes.
  let pending = false;
  const rebuild = () => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      build();
    });
  };
  for (const name of ["session_id", "cues", "tasks", "clips", "notes"]) {
    model.on(`change:${name}`, rebuild);
  }
  build();
  return () => {
    for (const name of ["session_id", "cues", "tasks", "clips", "notes"]) {
      model.off(`change:${name}`, rebuild);
    }
    cleanup();
  };
}

export default { render };
