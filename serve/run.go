package serve

import (
	"context"
	"errors"
	"image"
	"sync"
	"time"

	"grayscott/colormap"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage"
)

// Run is a run of this process as its page shows it. Make it before the
// run starts (NewRun), hand it the pipeline once made (Watch) and its end
// (End); the Server reads the pipeline's figures and its Snapshot, never
// the file. Watch and End may be called from any goroutine.
type Run struct {
	p      sim.Params
	output string
	params params

	mu             sync.Mutex
	pl             *pipeline.Pipeline // guarded by mu; nil until Watch
	engine, device string             // guarded by mu
	state          string             // guarded by mu
	reason         string             // guarded by mu
	sum            *pipeline.Summary  // guarded by mu
	done           chan struct{}      // closed by End

	// The Server's loop goroutine only.
	st    Status
	prog  progress
	last  pipeline.Live // at the previous update
	lastT float64       // its time, -1 before the first
	field []float32
}

var _ Source = (*Run)(nil)

// NewRun describes the run about to start for its page: its parameters and
// its file.
func NewRun(p sim.Params, output string) *Run {
	return &Run{p: p, output: output, params: paramsOf(p), state: StateStarting, done: make(chan struct{}), lastT: -1}
}

// Watch hands the page the run's pipeline and the engine's provenance
// attributes (engine.Info.Attrs: the engine and the device, as the file
// records them): from now on the page shows its progress, its figures and
// its newest image.
func (r *Run) Watch(pl *pipeline.Pipeline, provenance []storage.Attr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pl, r.state = pl, StateRunning
	r.engine, r.device = engineOf(attrMap(provenance))
}

// End tells the page how the run ended, from what pipeline.Pipeline.Close
// returned (sum nil when the run failed before it began): completed,
// stopped (cancelled, or stopped by its caller without an error) or
// failed. The Server then shows it and stops serving: call Server.Close.
func (r *Run) End(sum *pipeline.Summary, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sum != nil || r.state != StateRunning && r.state != StateStarting {
		return
	}
	r.sum = sum
	switch {
	case sum != nil && sum.Completed && err == nil:
		r.state = StateCompleted
	case err == nil || errors.Is(err, context.Canceled):
		r.state = StateStopped
	default:
		r.state = StateFailed
	}
	if sum != nil {
		r.reason = sum.StopReason
	}
	if r.reason == "" && err != nil {
		r.reason = err.Error()
	}
	close(r.done)
}

func (r *Run) ended() <-chan struct{} { return r.done }

func (r *Run) update(now time.Time, watched bool) {
	r.mu.Lock()
	pl, state, reason, sum, eng, dev := r.pl, r.state, r.reason, r.sum, r.engine, r.device
	r.mu.Unlock()
	st := Status{Kind: "run", State: state, StopReason: reason, Output: r.output, ImagesTotal: r.p.Images,
		Engine: eng, Device: dev, Params: r.params, Field: "V", Summary: sum, ETAS: -1}
	if pl == nil {
		r.st = st
		return
	}
	if watched {
		pl.Snapshot().Request()
	} else {
		pl.Snapshot().Unwatch()
	}
	l := pl.Live()
	t := r.prog.add(now, l.Images)
	st.ImagesDone, st.ElapsedS = l.Images, t
	if state == StateRunning {
		st.StepsPerS, st.ETAS = r.prog.rate(r.p.StepsPerImage, r.p.Images)
	}
	st.Live = &Live{QueueLen: l.Queued, QueueCapacity: l.QueueCap, WaitingForStorage: l.Blocked,
		StorageWaitS: l.PoolWait.Seconds(), WriterIdleS: l.WriterIdle.Seconds(), WriteS: l.WriteTime.Seconds()}
	s := Sample{T: t, Images: l.Images}
	if dt := t - r.lastT; dt > 0 && r.lastT >= 0 {
		share := func(now, before time.Duration) float64 { return min(1, max(0, (now-before).Seconds()/dt)) }
		s.EngineWait = share(l.PoolWait, r.last.PoolWait)
		s.WriterBusy = share(l.WriteTime, r.last.WriteTime)
		s.WriterIdle = share(l.WriterIdle, r.last.WriterIdle)
		if l.QueueCap > 0 {
			s.QueueFill = float64(l.Queued) / float64(l.QueueCap)
		}
		st.Sample = &s
	}
	r.last, r.lastT = l, t
	r.st = st
}

func (r *Run) status() Status { return r.st }

func (r *Run) picture(shown int, cmap *colormap.Map) (image.Image, int, error) {
	r.mu.Lock()
	pl := r.pl
	r.mu.Unlock()
	if pl == nil {
		return nil, -1, nil
	}
	if pl.Snapshot().Index() == shown {
		return nil, shown, nil
	}
	var i int
	if r.field, i = pl.Snapshot().Read(r.field); i < 0 {
		return nil, -1, nil
	}
	img, err := paintField(r.field, r.p.Rows, r.p.Cols, cmap)
	return img, i, err
}
