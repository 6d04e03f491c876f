// Package progress reports a run while it goes: a progress bar on a
// terminal, else a structured log line every few seconds. Its Reporter's
// Image is called on the goroutine that drives the pipeline (the
// pipeline's OnImage); Start and Finish on the same goroutine.
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"grayscott/pipeline"
)

// Reporter reports a run while it goes. Image is called on the goroutine
// that drives the pipeline after each image is handed to storage, with the
// count of images done (resumed ones included).
type Reporter interface {
	Start(pl *pipeline.Pipeline, stepsPerImage int)
	Image(done int)
	Finish()
}

// None reports nothing (grayscott run -q).
type None struct{}

func (None) Start(*pipeline.Pipeline, int) {}
func (None) Image(int)                     {}
func (None) Finish()                       {}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// New returns a progress bar when stderr is a terminal, else a
// structured log line every few seconds (Log).
func New(stderr io.Writer, log *slog.Logger) Reporter {
	if IsTerminal(stderr) {
		return &barProgress{out: stderr}
	}
	return &Log{Logger: log, Every: 5 * time.Second}
}

// rates holds what both reporters show.
type rates struct {
	pl            *pipeline.Pipeline
	stepsPerImage int
	started       time.Time
}

func (r *rates) begin(pl *pipeline.Pipeline, stepsPerImage int) {
	r.pl, r.stepsPerImage, r.started = pl, stepsPerImage, time.Now()
}

// now returns steps/s so far, the estimated time left and the queue's
// backlog when the last image reached it (the summary's queue mean and max
// are over the same figure).
func (r *rates) now(done int) (stepsPerS float64, eta time.Duration, queue string) {
	el := time.Since(r.started)
	ran := done - r.pl.FirstImage()
	if ran > 0 && el > 0 {
		stepsPerS = float64(ran*r.stepsPerImage) / el.Seconds()
		eta = time.Duration(float64(el) * float64(r.pl.Images()-done) / float64(ran)).Round(time.Second)
	}
	q, c := r.pl.Backlog()
	return stepsPerS, eta, fmt.Sprintf("%d/%d", q, c)
}

type barProgress struct {
	rates
	out io.Writer
	bar *progressbar.ProgressBar
}

func (p *barProgress) Start(pl *pipeline.Pipeline, stepsPerImage int) {
	p.begin(pl, stepsPerImage)
	p.bar = progressbar.NewOptions(pl.Images(),
		progressbar.OptionSetWriter(p.out),
		progressbar.OptionSetDescription("images"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	_ = p.bar.Set(pl.FirstImage())
}

func (p *barProgress) Image(done int) {
	sps, _, q := p.now(done)
	p.bar.Describe(fmt.Sprintf("images  %.0f steps/s  queue %s", sps, q))
	_ = p.bar.Set(done)
}

func (p *barProgress) Finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// Log writes a structured line of progress to Logger every Every (every
// image when 0), but for the last image, where the run's summary follows.
type Log struct {
	rates
	Logger *slog.Logger
	Every  time.Duration
	last   time.Time
}

func (p *Log) Start(pl *pipeline.Pipeline, stepsPerImage int) {
	p.begin(pl, stepsPerImage)
	p.last = time.Now()
}

// image logs a line every few seconds; none for the last image, where the
// summary follows with the run's own figures (its steps/s count the file's
// closing too).
func (p *Log) Image(done int) {
	if time.Since(p.last) < p.Every || done == p.pl.Images() {
		return
	}
	p.last = time.Now()
	sps, eta, q := p.now(done)
	p.Logger.Info("progress", "images", fmt.Sprintf("%d/%d", done, p.pl.Images()),
		"steps_per_s", fmt.Sprintf("%.0f", sps), "eta", eta, "queue", q)
}

func (p *Log) Finish() {}
