package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"grayscott/internal/progress"
)

// stopSignalCause is the cancellation cause recorded for a stop signal.
type stopSignalCause struct{ sig os.Signal }

func (c *stopSignalCause) Error() string { return "received " + signalName(c.sig) }

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// exitCodeFor is 128 + the signal number, as shells report it.
func exitCodeFor(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return exitFailure
}

// notifyStop returns a context cancelled by the first SIGINT or SIGTERM
// (the run then stops cleanly); a second one ends the process at once.
// stop undoes the signal handling.
func notifyStop(parent context.Context, stderr io.Writer) (ctx context.Context, stop func()) {
	return notifyStopDoing(parent, stderr, "finishing the images in flight and closing the file")
}

// notifyStopDoing is notifyStop saying what the command does on a stop.
func notifyStopDoing(parent context.Context, stderr io.Writer, doing string) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	lead := ""
	if progress.IsTerminal(stderr) {
		lead = "\n" // below the progress bar
	}
	go func() {
		var first time.Time
		select {
		case s := <-ch:
			first = time.Now()
			fmt.Fprintf(stderr, "%sgrayscott: %s: %s (again to quit at once)\n", lead, signalName(s), doing)
			cancel(&stopSignalCause{s})
		case <-done:
			return
		}
		for {
			select {
			case s := <-ch:
				// timeout(1) and some shells deliver one stop twice (to the
				// process and to its group): only a later signal means "now".
				if time.Since(first) < time.Second {
					continue
				}
				fmt.Fprintf(stderr, "grayscott: %s again: quitting now, as a kill does (the file keeps the images published so far)\n", signalName(s))
				os.Exit(exitCodeFor(s))
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// stopSignal returns the signal that cancelled ctx, or nil.
func stopSignal(ctx context.Context) os.Signal {
	var c *stopSignalCause
	if errors.As(context.Cause(ctx), &c) {
		return c.sig
	}
	return nil
}

// interruptedError reports a run stopped by a signal; its exit status is
// 128 + the signal number.
type interruptedError struct {
	sig           os.Signal
	output        string
	images, total int
	cause         error // a storage error met while stopping, if any
}

// Signal is the signal that stopped the run.
func (e *interruptedError) Signal() os.Signal { return e.sig }

func (e *interruptedError) Error() string {
	msg := fmt.Sprintf("stopped by %s: %s holds %d of %d images; continue with: grayscott run --resume %s",
		signalName(e.sig), e.output, e.images, e.total, e.output)
	if e.cause != nil && !errors.Is(e.cause, context.Canceled) {
		msg += " (while stopping: " + e.cause.Error() + ")"
	}
	return msg
}

// signalError is a command other than run stopped by a signal, which says
// what it did about it; its exit status is 128 + the signal number.
type signalError struct {
	sig  os.Signal
	what string
}

// Signal is the signal that stopped the command.
func (e *signalError) Signal() os.Signal { return e.sig }

func (e *signalError) Error() string { return "stopped by " + signalName(e.sig) + ": " + e.what }
