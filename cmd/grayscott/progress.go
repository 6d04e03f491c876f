package main

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

// progress reports a run while it goes. image is called on the goroutine
// that drives the pipeline after each image is handed to storage, with the
// count of images done (resumed ones included).
type progress interface {
	start(pl *pipeline.Pipeline, stepsPerImage int)
	image(done int)
	finish()
}

type noProgress struct{}

func (noProgress) start(*pipeline.Pipeline, int) {}
func (noProgress) image(int)                     {}
func (noProgress) finish()                       {}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress returns a progress bar when stderr is a terminal, else a
// structured log line every few seconds.
func newProgress(stderr io.Writer, log *slog.Logger) progress {
	if isTerminal(stderr) {
		return &barProgress{out: stderr}
	}
	return &logProgress{log: log, every: 5 * time.Second}
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

func (p *barProgress) start(pl *pipeline.Pipeline, stepsPerImage int) {
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

func (p *barProgress) image(done int) {
	sps, _, q := p.now(done)
	p.bar.Describe(fmt.Sprintf("images  %.0f steps/s  queue %s", sps, q))
	_ = p.bar.Set(done)
}

func (p *barProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

type logProgress struct {
	rates
	log   *slog.Logger
	every time.Duration
	last  time.Time
}

func (p *logProgress) start(pl *pipeline.Pipeline, stepsPerImage int) {
	p.begin(pl, stepsPerImage)
	p.last = time.Now()
}

// image logs a line every few seconds; none for the last image, where the
// summary follows with the run's own figures (its steps/s count the file's
// closing too).
func (p *logProgress) image(done int) {
	if time.Since(p.last) < p.every || done == p.pl.Images() {
		return
	}
	p.last = time.Now()
	sps, eta, q := p.now(done)
	p.log.Info("progress", "images", fmt.Sprintf("%d/%d", done, p.pl.Images()),
		"steps_per_s", fmt.Sprintf("%.0f", sps), "eta", eta, "queue", q)
}

func (p *logProgress) finish() {}
