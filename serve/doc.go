// Package serve shows a run, a file or a sweep on a web page, so that a
// headless run can be watched from a browser (over an SSH tunnel, say):
// grayscott run --serve and grayscott serve.
//
// # Overview
//
// A Server serves one page about one Source: a run of this process (Run),
// a file on disk, being written or not (File), or a sweep's folder
// (Sweep). Start is the convenience on top: it binds an address (Listen)
// and serves on a goroutine of its own; Close ends it.
//
// The page shows the newest image (V, through the colormap, over the
// image's own range: pixel for pixel what grayscott render makes of that
// image), the images done of the total, steps/s and the time left, the
// engine and the device, the parameters and, for a run, a chart of the
// last minutes of its data path: the storage queue's fill, the share of
// time the engine waited for storage and the writer spent writing or
// waiting for images. A sweep's page shows each point's state and a
// mosaic of the points' newest images. When the run ends, or the server
// is closed, the page shows how it ended.
//
// # What it owns and what it reads
//
// It owns the HTTP server, the page's files (embedded: nothing is loaded
// from elsewhere) and the pictures it paints. It only reads. A run's
// figures come from the pipeline's accessors (pipeline.Pipeline.Live) and
// its image from the pipeline's storage.Snapshot, which the writer fills
// on its own goroutine only when the page asked for one: with nobody
// watching, a run pays one atomic load per image, and the file is never
// read. A file's state is decoded by h5.Status, the one decoder of it; its
// images are read as render --follow reads them (the file reopened at each
// look, in SWMR mode). A sweep's folder is read by sweepdir.go alone.
//
// Pictures are painted at most at the pace of Server.Interval, and less
// often when they are large: the time spent painting is bounded to
// PictureShare (1 %) of one core, so that a page open on a 1080×1920 run
// does not slow it down.
//
// # Requests
//
// The paths are fixed: / (the page), /app.js, /style.css and /favicon.svg
// (its files), /status (the Status as JSON), /events (server-sent events:
// the chart's history, then a status at each update, then "end"),
// /image.png (the picture the status names; X-Image-Index says which). Every other path is
// 404, and no request names a file. Only GET and HEAD are served. A server
// bound to loopback answers only requests for localhost or an address
// (not a name that a page of another site could rebind to 127.0.0.1).
//
// # Goroutines
//
// The caller's goroutine calls Start (or Serve, which blocks) and Close.
// The Server runs one loop goroutine, which alone calls the Source's
// methods: every Interval it updates the status, paints a picture when
// one is due and wakes the pages' event streams; net/http runs a
// goroutine per request, which only reads what the loop stored, under a
// mutex. A Run's Watch and End are called from the run's goroutine and
// hand the loop the pipeline and the end under the Run's mutex; the loop
// then reads the pipeline's accessors, which may be called from any
// goroutine.
package serve
