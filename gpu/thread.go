package gpu

import "runtime"

// thread runs functions on one goroutine locked to its OS thread, the only
// thread on which a GL context is current. (GL calls from any other thread
// silently do nothing.)
type thread struct {
	funcs chan func()
	done  chan struct{}
}

// newThread starts the goroutine and runs init on it before returning
// init's error; when init fails the goroutine ends.
func newThread(init func() error) (*thread, error) {
	t := &thread{funcs: make(chan func()), done: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// The thread stays locked when the goroutine ends, so the runtime
		// discards it along with whatever GL state it still holds.
		defer close(t.done)
		if err := init(); err != nil {
			errc <- err
			return
		}
		errc <- nil
		for f := range t.funcs {
			f()
		}
	}()
	if err := <-errc; err != nil {
		return nil, err
	}
	return t, nil
}

// call runs f on the thread and blocks until it returns. Calls from several
// goroutines are serialized. f must not call t.call (it would deadlock).
func (t *thread) call(f func()) {
	finished := make(chan struct{})
	t.funcs <- func() {
		defer close(finished)
		f()
	}
	<-finished
}

// stop runs last on the thread, then ends it and waits until it has ended.
func (t *thread) stop(last func()) {
	t.call(last)
	close(t.funcs)
	<-t.done
}
