// Package storage moves simulation frames from a producer to a Sink
// without making the producer wait for the disk: a fixed Pool of frames
// (the bound on memory), a bounded queue, and a Writer goroutine that owns
// every call on the sink, encodes chunks in parallel when the sink takes
// them, and keeps the sink's first error sticky. It is pure Go; the HDF5
// file format is in storage/h5.
//
// Ownership of a frame: Writer.Frame (or Pool.Get) hands it to the
// producer; Writer.Send hands it to the writer, after which the producer
// must not touch it; after the frame is written (or dropped after an
// error) the writer puts it back in its pool.
package storage

// Attr is one attribute of a run's file. Value is a float32, int, int64,
// bool or string.
type Attr struct {
	Name  string
	Value any
}

// Sink stores frames in order. A Writer calls its methods from one
// goroutine only, locked to one OS thread.
type Sink interface {
	// WriteFrame stores the next image; frame is not retained.
	WriteFrame(frame []float32) error
	// Flush makes what was stored so far durable.
	Flush() error
	// Close records the final state (completed, else why not) and
	// releases the sink.
	Close(completed bool, reason string) error
}

// Encoder turns frames into the bytes a ChunkSink stores. One Encoder is
// used by one goroutine at a time; the chunk it returns aliases its own
// buffer and is valid until the next Encode.
type Encoder interface {
	Encode(frame []float32) ([]byte, error)
}

// ChunkSink is a Sink that also takes images as chunks encoded away from
// it (compressed), so that a Writer can encode several frames in parallel
// on its workers while the sink stores them in order.
type ChunkSink interface {
	Sink
	// Encodes reports whether chunks need encoding at all (a raw sink
	// says false, and the Writer uses WriteFrame).
	Encodes() bool
	// NewEncoder returns an encoder for this sink's chunks; the Writer
	// makes one per worker, on the writer goroutine.
	NewEncoder() Encoder
	// WriteChunk stores the next image, given as its encoded chunk; chunk
	// is not retained.
	WriteChunk(chunk []byte) error
}

// Checkpointer is a Sink that can save the full state with an image, so
// that a run can resume from it.
type Checkpointer interface {
	// WriteCheckpoint saves u, U after step steps, whose V is v, the image
	// just written.
	WriteCheckpoint(u, v []float32, step int64) error
}

// StoredSizer is a Sink that knows how many bytes its images take, after
// its own compression (an HDF5 file compressing in line).
type StoredSizer interface {
	StoredSize() int64
}

// RateTracker is a Sink whose checkpoints record the feed and kill rates in
// force (Writer.SendRates): TrackRates runs on the writer's goroutine, in
// order with the images.
type RateTracker interface {
	TrackRates(feed, kill float32)
}

// AttrSetter is a Sink that records attributes (Writer.SendAttrs goes
// through it).
type AttrSetter interface {
	SetAttrs(attrs ...Attr) error
}
