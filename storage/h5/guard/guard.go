// Package guard keeps a run's HDF5 file readable by every HDF5 reader when
// the process writing it dies: SIGKILL, the OOM killer, a crash, a second
// Ctrl-C.
//
// # Why a guardian process
//
// While HDF5 writes a file it marks its superblock (h5.WriterMark), and
// only a clean close clears the mark; h5py.File(path, "r"), h5dump and
// ParaView refuse a marked file. A dying writer cannot clear it: SIGKILL
// and the OOM killer give it no chance to run anything. Leaving SWMR mode
// at each publish does not help either: HDF5 1.10 leaves SWMR writing only
// by closing the file, which would cost a close and an open every second,
// lock live readers out at each reopen, and still leave the mark when the
// kill falls in between. So another process must clear it after the
// writer is gone: the guardian, a child the run starts (Start) before it
// opens the file. It holds the read end of a pipe whose write end only
// the writer holds. The kernel closes that end when the writer dies,
// however it dies, so the guardian learns of the death without polling
// and without pid races. It then waits until the writer has exited (its
// parent changes: by then the kernel has closed the writer's files and
// released its locks) and calls h5.Recover, which clears the mark exactly
// as h5clear -s does, after checking that no process writes the file: a
// run resumed in the meantime, say, is never touched (h5.ErrInUse).
//
// # The writer's end
//
// stop, from Start, tells the guardian that the writer is done with the
// file. When the file carries a mark that no process holds (this
// process's close failed), the guardian clears it before stop returns;
// otherwise (a clean close, or a file that another run writes, as when a
// resume was refused) the guardian exits at once without opening it.
//
// # What holds
//
// The guardian runs in a session of its own, so a Ctrl-C (SIGINT to the
// terminal's foreground process group), a hangup, or kill -9 of the run's
// process group does not reach it; it also ignores SIGINT, SIGTERM and
// SIGHUP. Its standard streams are /dev/null and its working folder /,
// so it holds no terminal, pipe (ssh, $(...), a batch job's log) or mount
// of the run's; it keeps no descriptor of the run's but its pipe (it
// closes those that the run's own parent leaked, a shell's or make's), so
// it holds no file lock either. It ends right after its writer: at once
// after a clean end, after its recovery (milliseconds) otherwise, so it
// never outlives a healthy run. It costs a fork and exec (about 15 ms) and
// sleeps in a read until then.
// A kill that takes the guardian too (SIGKILL to it, killing a whole
// session or cgroup as Slurm's scancel and systemd do, the machine dying)
// leaves the mark: grayscott recover FILE (h5.Recover) clears it then.
package guard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"grayscott/storage/h5"
)

// Subcommand is the hidden command that runs a guardian: Start runs this
// process's executable as "PROGRAM _guard PID FILE" with the pipe as
// descriptor 3, and the program must hand the arguments after the
// subcommand to Main, before doing anything else (a test binary too).
const Subcommand = "_guard"

// Messages from the writer on the pipe; its end without a byte means that
// it died.
const (
	msgClean = 'c' // nothing to clear: exit without opening the file
	msgLook  = 'r' // done with the file, which carries an abandoned mark: clear it
)

// Start starts the guardian of the file at path, which need not exist
// yet: this process's own executable, run as Subcommand. Call it before
// the file is created or opened for writing, so that no moment of the
// writing goes unguarded. stop tells the guardian that this process is
// done with the file (it has closed it, or given up opening it); call it
// once the file is closed, on every path (a deferred call does; later
// calls do nothing): from then on nothing is guarded. stop returns at
// once, except when the file carries a mark that no process holds (this
// process's close failed): it then waits (at most 3 s) for the guardian
// to clear it. On error the run goes on unguarded: stop is then a no-op,
// never nil.
func Start(path string) (stop func(), err error) {
	nothing := func() {}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nothing, fmt.Errorf("guard: %w", err)
	}
	prog, err := os.Executable()
	if err != nil {
		return nothing, fmt.Errorf("guard: finding this program to run the guardian of %s: %w", path, err)
	}
	r, w, err := os.Pipe() // both ends close-on-exec: no other child gets one
	if err != nil {
		return nothing, fmt.Errorf("guard: %w", err)
	}
	cmd := exec.Command(prog, Subcommand, strconv.Itoa(os.Getpid()), abs)
	cmd.ExtraFiles = []*os.File{r} // descriptor 3
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nothing, fmt.Errorf("guard: starting the guardian of %s: %w", path, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			msg := byte(msgClean)
			if a, err := h5.Abandoned(abs); err == nil && a {
				msg = msgLook
			}
			_, werr := w.Write([]byte{msg})
			w.Close()
			exited := make(chan struct{})
			go func() { cmd.Wait(); close(exited) }() // reaped whenever it ends
			if msg == msgLook && werr == nil {
				select {
				case <-exited:
				case <-time.After(3 * time.Second):
				}
			}
		})
	}, nil
}

// Main is the guardian (the Subcommand): args are the writer's pid and
// the file's absolute path; descriptor 3 is the pipe from the writer. It
// prints nothing (its streams are /dev/null) and returns the exit status:
// 0 when the file was clean, cleared, or not there; 1 when it could not
// be cleared (it stays marked, and grayscott info says to recover it);
// 2 for bad arguments.
func Main(args []string) int {
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	closeInherited()
	if len(args) != 2 {
		return 2
	}
	writer, err := strconv.Atoi(args[0])
	if err != nil || writer <= 0 {
		return 2
	}
	path := args[1]
	pipe := os.NewFile(3, "pipe from the writer")
	if pipe == nil {
		return 2
	}
	var msg [1]byte
	n, _ := pipe.Read(msg[:]) // a byte, or the end of the pipe: the writer died
	pipe.Close()
	if n == 1 && msg[0] == msgClean {
		return 0
	}
	if n == 1 {
		// The writer let go of the file: clear it now, or, should the
		// writer still hold it, once the writer has exited.
		if err := recoverFile(path, 0); !errors.Is(err, h5.ErrInUse) {
			return status(err)
		}
	}
	waitExit(writer)
	// The writer is gone; a lock may outlive it by moments (a child it
	// was starting holds its descriptors until exec closes them). A lock
	// held longer is another writer's, which clears the mark itself.
	return status(recoverFile(path, 2*time.Second))
}

// closeInherited closes the descriptors above 3 that this process
// inherited: those its writer's own parent passed down without
// close-on-exec (a shell's, make's), which exec kept open. Whatever the
// Go runtime opened here is close-on-exec.
func closeInherited() {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range fds {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 3 {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			unix.Close(fd)
		}
	}
}

// recoverFile clears path's mark, trying again while the file is in use,
// for up to patience.
func recoverFile(path string, patience time.Duration) error {
	deadline := time.Now().Add(patience)
	for {
		_, err := h5.Recover(path)
		if !errors.Is(err, h5.ErrInUse) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func status(err error) int {
	if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, h5.ErrNotHDF5) {
		return 0 // nothing was written, or nothing is left to clear
	}
	return 1
}

// waitExit returns once the process writer, this process's parent, has
// exited: the kernel then gives this process another parent, after it has
// closed the writer's files.
func waitExit(writer int) {
	for d := time.Millisecond; os.Getppid() == writer; d = min(2*d, 200*time.Millisecond) {
		time.Sleep(d)
	}
}
