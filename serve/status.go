package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"grayscott/internal/plural"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage"
)

// The states a page shows. A run in this process is starting (its engine
// and file being made), running, then completed, stopped (a signal, a
// closed window) or failed (an error); a file is running while its run may
// still write it, then completed or stopped, or ended when no grayscott run
// wrote it; a sweep is running until every point is done.
const (
	StateStarting  = "starting"
	StateRunning   = "running"
	StateCompleted = "completed"
	StateStopped   = "stopped"
	StateFailed    = "failed"
	StateEnded     = "ended"
)

// Status is what /status answers and what each event of /events carries:
// the progress, the figures and, once a run ended, its summary. The README
// lists its fields ("/status fields"); those of one kind of source are
// left out of the others'.
type Status struct {
	Kind        string  `json:"kind"` // run, file or sweep
	State       string  `json:"state"`
	StopReason  string  `json:"stop_reason"` // why it stopped or failed
	Output      string  `json:"output"`      // the file, or the sweep's folder
	ImagesDone  int     `json:"images_done"`
	ImagesTotal int     `json:"images_total"`
	ImageShown  int     `json:"image_shown"` // the image /image.png shows (a sweep: the mosaic's version), -1 for none
	StepsPerS   float64 `json:"steps_per_s"` // over the last ten seconds
	ETAS        float64 `json:"eta_s"`       // time left at that pace, -1 when unknown
	ElapsedS    float64 `json:"elapsed_s"`   // since the server began to watch
	Engine      string  `json:"engine"`
	Device      string  `json:"device"`
	Params      params  `json:"params"` // the model's parameters, by flag name
	Colormap    string  `json:"colormap"`
	Field       string  `json:"field"`  // what the image shows: V
	Server      string  `json:"server"` // serving, or stopped once the server shuts down

	// A run in this process: its data path now (the chart's figures).
	*Live
	// A run in this process, once it ended: the figures of its --json
	// summary (less the engine's, above).
	Summary *pipeline.Summary `json:"summary,omitempty"`

	// A file: what h5.Status says of it.
	*FileState

	// A sweep: its points and the mosaic's layout.
	Points []Point  `json:"points,omitempty"`
	Mosaic *Mosaic  `json:"mosaic,omitempty"`
	Counts counts   `json:"counts,omitempty"` // points per state
	Error  string   `json:"error,omitempty"`  // the source cannot be read now (it may pass)
	Sample *Sample  `json:"sample,omitempty"` // the chart's newest point (events only)
	Hist   []Sample `json:"history,omitempty"`
}

// Live is a running pipeline's figures, cumulative since it started.
type Live struct {
	QueueLen          int     `json:"queue_len"`
	QueueCapacity     int     `json:"queue_capacity"`
	WaitingForStorage bool    `json:"waiting_for_storage"`
	StorageWaitS      float64 `json:"storage_wait_s"`
	WriterIdleS       float64 `json:"writer_idle_s"`
	WriteS            float64 `json:"write_s"`
}

// FileState is a file's state as h5.Status decodes it.
type FileState struct {
	FramesWritten    int    `json:"frames_written"`
	Compression      string `json:"compression"` // as --compression takes it
	CompressionLevel int    `json:"compression_level"`
	KeepBits         int    `json:"keep_bits"`
	StoredBytes      int64  `json:"stored_bytes"`
	CheckpointImages int    `json:"checkpoint_images"` // images of the newest checkpoint, 0 for none
	Rows             int    `json:"rows"`
	Cols             int    `json:"cols"`
	Codec            string `json:"codec"`
}

// Sample is one point of the chart: the share of the last interval that
// the engine waited for storage, that the writer spent writing and waiting
// for images, and the queue's mean fill over it (0 to 1).
type Sample struct {
	T          float64 `json:"t"` // seconds since the server began to watch
	Images     int     `json:"images"`
	QueueFill  float64 `json:"queue_fill"`
	EngineWait float64 `json:"engine_wait"`
	WriterBusy float64 `json:"writer_busy"`
	WriterIdle float64 `json:"writer_idle"`
}

// Point is one point of a sweep.
type Point struct {
	Index       int    `json:"index"`
	Label       string `json:"label"` // its values, "feedrate 0.03, killrate 0.06"
	File        string `json:"file"`
	State       string `json:"state"` // pending, running, done, interrupted or failed
	Detail      string `json:"detail"`
	Images      int    `json:"images"`
	ImagesTotal int    `json:"images_total"`
	Row         int    `json:"row"` // its tile in the mosaic
	Col         int    `json:"col"`
}

// Mosaic is the layout of a sweep's /image.png: a tile per point, in rows
// and columns (the last axis's values across), each TileW×TileH pixels
// with Gap pixels between them, all painted over the range Lo..Hi.
type Mosaic struct {
	Rows      int      `json:"rows"`
	Cols      int      `json:"cols"`
	TileW     int      `json:"tile_width"`
	TileH     int      `json:"tile_height"`
	Gap       int      `json:"gap"`
	ColLabels []string `json:"column_labels"` // the last axis's values
	RowLabels []string `json:"row_labels"`    // the other axes' values, a row each
	Lo        float32  `json:"range_lo"`
	Hi        float32  `json:"range_hi"`
}

// counts is the number of points in each state.
type counts map[string]int

// params are a model's parameters, by flag name in sim.Fields' order: a JSON
// object whose keys keep that order.
type params []param

type param struct{ name, value string }

func paramsOf(p sim.Params) params {
	var ps params
	for _, f := range sim.Fields {
		ps = append(ps, param{f.Flag, f.Format(&p)})
	}
	return ps
}

// paramsOfAttrs reads the model's parameters from a file's attributes,
// named as the flags are, when they are there (a file of the course's
// tools has none).
func paramsOfAttrs(attrs map[string]string) params {
	var ps params
	for _, f := range sim.Fields {
		if v, ok := attrs[f.Attr]; ok {
			ps = append(ps, param{f.Flag, v})
		}
	}
	return ps
}

func (ps params) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.name)
		v, _ := json.Marshal(p.value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the object MarshalJSON writes, in its order.
func (ps *params) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("serve: params: want an object")
	}
	*ps = nil
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return err
		}
		var v string
		if err := d.Decode(&v); err != nil {
			return err
		}
		*ps = append(*ps, param{k.(string), v})
	}
	return nil
}

// attrMap formats attributes as strings, by name.
func attrMap(attrs []storage.Attr) map[string]string {
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m[a.Name] = fmt.Sprint(a.Value)
	}
	return m
}

// engineOf names the engine and the device from a run's provenance
// attributes (engine.Info.Attrs, the same in its file): the GL renderer,
// or the CPU's model, instruction set and threads.
func engineOf(attrs map[string]string) (engine, device string) {
	engine = attrs["engine"]
	switch engine {
	case "gpu":
		device = attrs["gl_renderer"]
	case "cpu":
		var parts []string
		if v := attrs["cpu_isa"]; v != "" {
			parts = append(parts, v)
		}
		if n, err := strconv.Atoi(attrs["threads"]); err == nil {
			parts = append(parts, plural.N(n, "thread"))
		}
		device = attrs["cpu_model"]
		if len(parts) > 0 {
			device = strings.TrimSpace(device + " (" + strings.Join(parts, ", ") + ")")
		}
	}
	return engine, device
}
