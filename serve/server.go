package serve

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"grayscott/colormap"
)

// Source is what a page shows: a run in this process (*Run), a file
// (*File) or a sweep's folder (*Sweep). Its methods are the Server's
// business: the server's loop goroutine calls them, one at a time.
type Source interface {
	// update brings the status up to date; watched says whether a page
	// or a client asked for news lately (a source may read nothing
	// otherwise).
	update(now time.Time, watched bool)
	// status returns the status as of the last update.
	status() Status
	// picture returns the newest picture and its number when that is not
	// shown, else nil.
	picture(shown int, cmap *colormap.Map) (image.Image, int, error)
	// ended is closed when the source will not change any more (a run
	// that ended); nil when it never ends by itself.
	ended() <-chan struct{}
}

// Server serves one page about a Source, with /status, /events and
// /image.png: see the package documentation. Set its fields before Serve;
// do not change them afterwards.
type Server struct {
	// Source is what the page shows.
	Source Source
	// Colormap paints the images; nil means colormap.Default.
	Colormap *colormap.Map
	// Interval is how often pages get news and a file or a sweep is read;
	// 0 means a second.
	Interval time.Duration
	// PictureShare bounds the time spent painting images as a share of
	// one core: after a picture that took d, the next waits d/PictureShare
	// (at least Interval). 0 means 1 %.
	PictureShare float64

	http     *http.Server
	loopback bool
	url      string

	closing   chan struct{} // closed by Close
	closeOnce sync.Once
	loopDone  chan struct{} // closed when the loop has shown the end
	handlers  sync.WaitGroup

	clients atomic.Int32 // pages following /events now
	asked   atomic.Int64 // when /status or /image.png was last asked (UnixNano)

	mu      sync.Mutex
	status  []byte        // guarded by mu: the newest Status, as JSON
	history []Sample      // guarded by mu: the chart's samples
	png     []byte        // guarded by mu: the picture shown
	shown   int           // guarded by mu: its number, -1 for none
	painted int           // guarded by mu: pictures painted so far
	news    chan struct{} // guarded by mu: closed and replaced at each update
	final   bool          // guarded by mu: the status is the last one
}

// Exposure is the warning for a server bound beyond loopback.
const Exposure = "anyone who can reach this port can watch (bind 127.0.0.1 and use an SSH tunnel to keep it private)"

// Timing of the end: pages get endGrace to fetch the last picture and
// hang up before the server closes their connections.
const (
	endGrace     = 3 * time.Second
	watchedFor   = 10 * time.Second // a /status or /image.png request counts as watching this long
	historyFor   = 5 * time.Minute  // the chart's span
	defaultShare = 0.01
)

// Start is the convenience for a command: it binds addr (Listen) and
// serves s there on a goroutine of its own. Its error is Listen's. Close
// the Server when done.
func (s *Server) Start(addr string) error {
	l, err := Listen(addr)
	if err != nil {
		return err
	}
	s.start(l)
	go s.http.Serve(l)
	return nil
}

// Serve serves the page on l until Close; it returns nil then, else the
// listener's error.
func (s *Server) Serve(l net.Listener) error {
	s.start(l)
	if err := s.http.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) start(l net.Listener) {
	s.closing, s.loopDone, s.news, s.shown = make(chan struct{}), make(chan struct{}), make(chan struct{}), -1
	if s.Colormap == nil {
		s.Colormap, _ = colormap.Lookup(colormap.Default)
	}
	s.loopback = !Exposed(l)
	s.url = "http://" + l.Addr().String() + "/"
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	s.update(true) // the first status, before any request
	go s.loop()
}

// URL is the page's address.
func (s *Server) URL() string { return s.url }

// Exposed reports whether the server is reachable from beyond this
// machine (see Exposed).
func (s *Server) Exposed() bool { return !s.loopback }

// Close shows the end on the pages (how a run ended, or that the server
// stops), gives them a moment to fetch the last picture, and stops the
// server. It waits at most a few seconds.
func (s *Server) Close() error {
	if s.http == nil {
		return nil
	}
	s.closeOnce.Do(func() { close(s.closing) })
	<-s.loopDone
	done := make(chan struct{})
	go func() { s.handlers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(endGrace + time.Second):
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		return s.http.Close()
	}
	return nil
}

func (s *Server) interval() time.Duration { return cmp.Or(s.Interval, time.Second) }

// watched reports whether a page follows the events or a client asked
// lately.
func (s *Server) watched() bool {
	return s.clients.Load() > 0 || time.Since(time.Unix(0, s.asked.Load())) < watchedFor
}

// loop updates the status every interval, paints a picture when one is
// due, and tells the pages; at the source's end or at Close it makes the
// last update, with the last picture, and ends.
func (s *Server) loop() {
	defer close(s.loopDone)
	tick := time.NewTicker(s.interval())
	defer tick.Stop()
	var nextPicture time.Time
	for {
		final := false
		select {
		case <-tick.C:
		case <-s.Source.ended():
			final = true
		case <-s.closing:
			final = true
		}
		watched := s.watched()
		s.Source.update(time.Now(), watched || final)
		if (watched || final) && (final || !time.Now().Before(nextPicture)) {
			if cost := s.paint(); cost > 0 {
				share := cmp.Or(s.PictureShare, defaultShare)
				nextPicture = time.Now().Add(max(s.interval(), time.Duration(float64(cost)/share)))
			}
		}
		s.publish(final)
		if final {
			return
		}
	}
}

// update makes the first status (or the last, with final).
func (s *Server) update(watched bool) {
	s.Source.update(time.Now(), watched)
	s.publish(false)
}

// paint asks the source for a newer picture and encodes it; it returns the
// time that took, 0 when there was none.
func (s *Server) paint() time.Duration {
	start := time.Now()
	s.mu.Lock()
	shown := s.shown
	s.mu.Unlock()
	img, n, err := s.Source.picture(shown, s.Colormap)
	if err != nil || img == nil {
		return 0
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		return 0
	}
	s.mu.Lock()
	s.png, s.shown = b.Bytes(), n
	s.painted++
	s.mu.Unlock()
	return time.Since(start)
}

// publish stores the source's status and wakes the pages.
func (s *Server) publish(final bool) {
	st := s.Source.status()
	s.mu.Lock()
	defer s.mu.Unlock()
	st.ImageShown = s.shown
	st.Colormap = s.Colormap.Name()
	st.Server = "serving"
	if final {
		st.Server = "stopped"
	}
	if st.Sample != nil {
		s.history = append(s.history, *st.Sample)
		for len(s.history) > 0 && st.Sample.T-s.history[0].T > historyFor.Seconds() {
			s.history = s.history[1:]
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		b = fmt.Appendf(nil, `{"error":%q}`, err.Error())
	}
	s.status, s.final = b, final
	close(s.news)
	s.news = make(chan struct{})
}

// The page's files, embedded: served at fixed paths, never looked up by
// a request's path.
//
//go:embed page
var pageFiles embed.FS

var assets = map[string]struct{ file, contentType string }{
	"/":            {"page/index.html", "text/html; charset=utf-8"},
	"/app.js":      {"page/app.js", "text/javascript; charset=utf-8"},
	"/style.css":   {"page/style.css", "text/css; charset=utf-8"},
	"/favicon.svg": {"page/favicon.svg", "image/svg+xml"},
}

// ServeHTTP answers the fixed paths (the page and its files, /status,
// /events, /image.png) and 404 to any other.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "+
		"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	if s.loopback && !allowedHost(r.Host) {
		http.Error(w, "this server answers requests for localhost only", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "read only", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/status":
		s.asked.Store(time.Now().UnixNano())
		s.mu.Lock()
		b := s.status
		s.mu.Unlock()
		h.Set("Content-Type", "application/json")
		w.Write(b)
	case "/image.png":
		s.asked.Store(time.Now().UnixNano())
		s.mu.Lock()
		b, n := s.png, s.shown
		s.mu.Unlock()
		if b == nil {
			http.Error(w, "no image yet", http.StatusServiceUnavailable)
			return
		}
		h.Set("Content-Type", "image/png")
		h.Set("X-Image-Index", strconv.Itoa(n))
		w.Write(b)
	case "/events":
		s.events(w, r)
	default:
		a, ok := assets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, err := pageFiles.ReadFile(a.file)
		if err != nil {
			panic(err) // embedded above
		}
		h.Set("Content-Type", a.contentType)
		w.Write(b)
	}
}

// events streams the status to a page (server-sent events): the chart's
// history first, then a status at each update, and the last one as an
// "end" event, after which it waits for the page to hang up (endGrace).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()
	s.clients.Add(1)
	defer s.clients.Add(-1)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	s.mu.Lock()
	hist, _ := json.Marshal(s.history)
	s.mu.Unlock()
	if s.send(w, rc, "history", hist) != nil {
		return
	}
	for {
		s.mu.Lock()
		st, news, final := s.status, s.news, s.final
		s.mu.Unlock()
		if final {
			if s.send(w, rc, "end", st) == nil {
				select {
				case <-r.Context().Done():
				case <-time.After(endGrace):
				}
			}
			return
		}
		if s.send(w, rc, "status", st) != nil {
			return
		}
		select {
		case <-news:
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Server) send(w io.Writer, rc *http.ResponseController, event string, data []byte) error {
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
		return err
	}
	return rc.Flush()
}
