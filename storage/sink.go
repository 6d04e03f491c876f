// Package storage moves simulation frames from a producer to a Sink
// without making the producer wait for the disk: a fixed Pool of frames
// (the bound on memory), a bounded queue, and a Writer goroutine that owns
// every call on the sink, encodes chunks in parallel when the sink takes
// them, and keeps the sink's first error sticky. It is pure Go and knows
// nothing of the model; the HDF5 file format is in storage/h5.
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

// Sink stores a run's images in order: an HDF5 file (storage/h5.File) in
// grayscott, a fake in tests. A Writer calls its methods from one
// goroutine only, locked to one OS thread (the producer's when the Writer
// is synchronous); what else a producer needs of its sink (attributes, say)
// goes through Writer.Do, on the same goroutine.
type Sink interface {
	// NewEncoder returns an encoder of this sink's chunks, one per
	// encoding worker (the Writer calls it on its goroutine), or nil when
	// the sink stores frames as they are: then the Writer calls
	// WriteFrame, else it encodes on its workers and calls WriteChunk.
	NewEncoder() Encoder
	// WriteFrame stores the next image; frame is not retained.
	WriteFrame(frame []float32) error
	// WriteChunk stores the next image, given as a chunk from one of its
	// encoders; chunk is not retained.
	WriteChunk(chunk []byte) error
	// WriteCheckpoint saves u, U after step steps, whose V is v, the image
	// stored last, so that a run can resume from it. It is durable after
	// the next Flush.
	WriteCheckpoint(u, v []float32, step int64) error
	// Publish makes what the sink holds visible to readers following it,
	// more cheaply than the durable Flush.
	Publish() error
	// Flush makes what was stored so far durable.
	Flush() error
	// Frames returns how many images the sink holds; a resumed file holds
	// some when it opens, and the Writer counts the flush schedule from
	// there.
	Frames() int
	// StoredSize returns the bytes the sink's images take after its own
	// encoding (an HDF5 file compressing in line), or 0 when it cannot tell.
	StoredSize() int64
	// Close records the final state (completed, else why not) and
	// releases the sink.
	Close(completed bool, reason string) error
}

// Encoder turns frames into the chunks a Sink stores. One Encoder is used
// by one goroutine at a time; the chunk it returns aliases its own buffer
// and is valid until the next Encode.
type Encoder interface {
	Encode(frame []float32) ([]byte, error)
}
