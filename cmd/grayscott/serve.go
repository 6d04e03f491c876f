package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"grayscott/colormap"
	"grayscott/serve"
)

const serveUsage = `Usage: grayscott serve FILE.h5|DIR [--addr ADDR] [flags]

Serves a web page that shows FILE.h5 (its newest image, progress and
parameters; a run may be writing it) or the sweep in DIR (its points'
states and a mosaic of their newest images), live, until Ctrl-C. ADDR is
[HOST]:PORT; without a HOST, 127.0.0.1: open it over an SSH tunnel.

Flags:
`

func serveCommand(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", ":8080", "address of the page, [HOST]:PORT (127.0.0.1 unless HOST is given)")
	cmapName := fs.String("colormap", colormap.Default, "colormap of the images")
	interval := fs.Duration("interval", time.Second, "how often the page is updated and the files read")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, serveUsage+fs.FlagUsages())
			return errHelp
		}
		return usagef("serve: %v", err)
	}
	cmap, err := colormap.Lookup(*cmapName)
	if fs.NArg() != 1 || err != nil || *interval <= 0 {
		return usagef("serve: want FILE.h5 or DIR, a --colormap of %v and a positive --interval", colormap.Names())
	}
	in := fs.Arg(0)
	st, err := os.Stat(in)
	if err != nil {
		return usagef("serve: %s: no such file or folder", in)
	}
	var src serve.Source = serve.NewFile(in)
	if st.IsDir() {
		if src, err = serve.NewSweep(in); err != nil {
			return usagef("serve: %v", err)
		}
	}
	l, err := serve.Listen(*addr)
	if err != nil {
		return usagef("serve: --addr %s: %v", *addr, err)
	}
	srv := &serve.Server{Source: src, Colormap: cmap, Interval: *interval}
	if serve.Exposed(l) {
		fmt.Fprintf(stderr, "grayscott serve: warning: %s is reachable beyond this machine: %s\n", l.Addr(), serve.Exposure)
	}
	ctx, stop := notifyStopDoing(context.Background(), stderr, "stopping the server")
	defer stop()
	go func() { <-ctx.Done(); srv.Close() }()
	fmt.Fprintf(stderr, "grayscott serve: %s at http://%s/ (Ctrl-C stops)\n", in, l.Addr())
	return srv.Serve(l)
}
