// Package pipeline joins a simulation engine to storage: the data path of
// a grayscott run, and the only package that knows both sides.
//
// # The data path
//
//	Source (an engine: the GPU simulator, the CPU engine)
//	  Step(e)                     the steps of image i, queued without waiting
//	  QueueReadback(withU)        V (and U for checkpoints) into a readback slot
//	  ring full ─> Writer.Frame   take a frame from the pool; BLOCKS while storage
//	                              is behind (backpressure: the engine waits)
//	               CompleteReadback(frame, u)  the oldest slot into the frame
//	  Writer.Send(frame)          into the bounded queue (Config.BufferLen)
//	storage.Writer goroutine, locked to its OS thread, owns every HDF5 call:
//	  write the image (or encode chunks on Config.CompressWorkers goroutines and
//	  write them in order), checkpoint and flush on schedule, then Pool.Put(frame)
//
// The steps of image i+1 are queued before the readback of image i is
// waited for, so transfers overlap compute. Memory is bounded by
// construction: the pool holds storage.WriterOptions.PoolSize() frames
// (BufferLen + max(1, CompressWorkers); one when BufferLen is 0), made
// once, plus the engine's readback slots, however long the run.
//
// # Ownership of a frame
//
//  1. Writer.Frame (StateFrame for U) hands a pooled frame to the pipeline.
//  2. Source.CompleteReadback fills it; the source does not retain it.
//  3. Writer.Send (SendState) hands it to the writer: the pipeline never
//     touches it again. A frame that could not be filled goes back with
//     Writer.Recycle.
//  4. After writing it (or dropping it after an error) the writer goroutine
//     puts it back in the pool.
//
// # Goroutines and threads
//
// A Pipeline is driven from one goroutine (the caller's): New, Run or
// Advance and Drain, SetState, Close. Those calls use the Source, which
// serializes its own work (the GPU simulator hands every GL call to its
// context's OS-locked thread and blocks until it is issued; the CPU
// engine steps on its workers and returns when done). With BufferLen ≥ 1
// the storage.Writer's goroutine, locked to one OS thread, makes every call
// on the file, opening and closing included; with BufferLen 0 the caller's
// goroutine writes synchronously (the baseline that throughput experiments
// compare against). Advance blocks in Writer.Frame while every frame is in
// flight and in CompleteReadback while the oldest readback is not there.
//
// A viewer on another goroutine (a progress display, a web page) reads the
// run through the accessors documented as callable from any goroutine:
// Live (images stored, the time the engine waited for storage, the
// writer's time writing and idle, the queue), QueueLen, Backlog,
// WaitingForStorage, and Snapshot, a copy of a stored image that the
// writer takes on its goroutine only when the viewer asked for one.
//
// # Errors and stops
//
// The writer's first error is sticky (like bufio.Writer): the next Frame
// or Send returns it, a producer blocked in Frame is woken, and the run
// stops at that image; Close returns it. When the context passed to Run or
// Advance is cancelled, no new image is started; the readbacks already
// queued are still delivered, the last with a checkpoint, so every
// computed image is kept, and Close records the file as not completed with
// the cause as its stop reason.
package pipeline
