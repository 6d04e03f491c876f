package serve

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"grayscott/engine"
	"grayscott/internal/testutil/browser"
	"grayscott/pipeline"
	"grayscott/sim"
)

// BenchmarkPageOpen measures what watching costs a run: a 1080×1920 run
// of the CPU engine (30 images of 34 steps) three ways in turn, within one
// benchmark run so that the machine's drift hits them alike: without a
// server ("none"), served with no page open ("served"), and with the page
// open in Chromium on this machine ("page": it follows the events and
// fetches the pictures). Each iteration runs the three; it reports their
// median steps/s, the ratios to "none", and the pictures each page got.
//
//	go test -run '^$' -bench PageOpen -benchtime 9x ./serve
func BenchmarkPageOpen(b *testing.B) {
	tab := browser.Open(b)
	p := sim.Defaults()
	p.Images = 30
	modes := []string{"none", "served", "page"}
	rates := map[string][]float64{}
	var pictures []float64
	for b.Loop() {
		for _, mode := range modes {
			r, n := watchedRun(b, tab, p, mode)
			rates[mode] = append(rates[mode], r)
			if mode == "page" {
				pictures = append(pictures, float64(n))
			}
		}
	}
	none := median(rates["none"])
	for _, mode := range modes {
		b.ReportMetric(median(rates[mode]), mode+"-steps/s")
		if mode != "none" {
			b.ReportMetric(median(rates[mode])/none, mode+"/none")
		}
	}
	b.ReportMetric(median(pictures), "pictures/page")
	b.Logf("steps/s per iteration: %v", rates)
}

// watchedRun runs p into a new file, served and watched as mode says, and
// returns its steps/s (over Run and Close: the engine made, the page
// loaded beforehand) and the pictures the page got.
func watchedRun(b *testing.B, tab *browser.Tab, p sim.Params, mode string) (float64, int) {
	b.StopTimer()
	eng, info, err := engine.Open(p, engine.Options{Kind: engine.CPU})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Release()
	out := filepath.Join(b.TempDir(), "run.h5")
	pl, err := pipeline.New(eng, pipeline.Config{Params: p, Output: out, BufferLen: 1}, pipeline.OpenHDF5)
	if err != nil {
		b.Fatal(err)
	}
	var srv *Server
	run := NewRun(p, out)
	if mode != "none" {
		srv = &Server{Source: run}
		if err := srv.Start("127.0.0.1:0"); err != nil {
			b.Fatal(err)
		}
		attrs, _ := info.Attrs()
		run.Watch(pl, attrs)
	}
	if mode == "page" {
		tab.Navigate(srv.URL())
		tab.WaitUntil("the page shows the run", `document.getElementById('state').textContent === 'running'`)
	}
	b.StartTimer()
	start := time.Now()
	pl.Run(context.Background())
	sum, err := pl.Close(nil)
	d := time.Since(start)
	b.StopTimer()
	if err != nil || !sum.Completed {
		b.Fatalf("%s: %v, %+v", mode, err, sum)
	}
	pictures := 0
	if srv != nil {
		run.End(sum, nil)
		srv.Close()
		srv.mu.Lock()
		pictures = srv.painted
		srv.mu.Unlock()
	}
	if mode == "page" {
		tab.WaitUntil("the page shows the end", `document.body.dataset.ended === 'true'`)
		tab.Navigate("about:blank")
	}
	b.StartTimer()
	return float64(sum.Steps) / d.Seconds(), pictures
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(x))
	return s[len(s)/2]
}
