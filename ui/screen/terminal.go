// Package screen owns one terminal's output: it runs a Bubble Tea program
// and draws its frames, rings the bell between frames, sets and restores
// the terminal's modes, and survives a terminal that stops reading.
//
// The "cells" renderer (the default) runs the program without Bubble
// Tea's renderer and sends each frame (the string the model's View
// returns) through a cell-diffing screen that writes only the cells that
// changed, wrapped in synchronized output, from one writer goroutine per
// terminal that always takes the latest frame: a frame not yet written is
// replaced, never queued, so a slow terminal never stalls Update and never
// grows memory. The "lines" renderer is Bubble Tea's own (it rewrites
// every line that changed), kept as a way out for a terminal the cells
// renderer does not suit and to measure one against the other.
//
// One Terminal serves one terminal for one Run: the local dashboard's, or
// one SSH session's (its colour profile, size, Resize on window changes,
// a write timeout).
package screen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"
	"github.com/muesli/termenv"
)

// The renderers Options.Renderer names.
const (
	RendererCells = "cells" // our cell-diffing screen (default)
	RendererLines = "lines" // Bubble Tea's line renderer
)

// Renderers lists the names Options.Renderer accepts.
func Renderers() []string { return []string{RendererCells, RendererLines} }

// Options configure one terminal.
type Options struct {
	Renderer string // RendererCells (default, also for "") or RendererLines
	// Profile is the colour profile frames are reduced to: this
	// terminal's, never the process's default. Frames made for it (by a
	// lipgloss renderer with the same profile) pass unchanged; colours
	// are never raised.
	Profile   termenv.Profile
	AltScreen bool
	Mouse     bool   // mouse cell motion (clicks, wheel, drags)
	Title     string // window title; "" leaves it alone
	// Width and Height are the size to start with when out is not a
	// terminal that can be asked (an SSH channel); 0 = ask out.
	Width, Height int
	// WriteTimeout: a write that takes longer marks the terminal failed
	// and ends Run with ErrWriteTimeout; nothing upstream waits on it.
	// 0 = no timeout. Only the cells renderer keeps that promise whole:
	// Bubble Tea's line renderer writes under its own lock and its
	// shutdown waits for a stuck write, so with RendererLines Run returns
	// only when that write does (use cells for SSH sessions).
	WriteTimeout time.Duration
}

// Stats count what reached the terminal.
type Stats struct {
	FramesWritten uint64 // frames drawn onto the terminal (lines renderer: writes)
	FramesSkipped uint64 // frames replaced by a newer one before they were drawn
	BytesWritten  uint64
}

// ErrWriteTimeout is the error Run returns (wrapped) when a write to the
// terminal took longer than Options.WriteTimeout.
var ErrWriteTimeout = errors.New("the terminal stopped taking output")

// frameInterval is the shortest time between two frames written (60 per
// second at most, as Bubble Tea's renderer); frames made faster coalesce.
const frameInterval = time.Second / 60

// Terminal owns one terminal's output: frames, bell, modes, restore.
type Terminal struct {
	out  io.Writer
	opts Options

	bytes, written, skipped atomic.Uint64
	crashed                 atomic.Bool

	mu       sync.Mutex
	started  bool
	prog     *tea.Program
	frame    string // the latest frame not yet drawn
	frameW   int
	frameH   int
	hasFrame bool
	bell     bool
	redraw   bool
	title    string
	newTitle bool
	resizeW  int // the latest outside size not yet sent to the program
	resizeH  int
	resized  bool
	failure  error       // why the terminal failed; nil while it works
	crash    *PanicError // the first panic in the program

	wake     chan struct{} // the writer has something to do
	resizes  chan struct{} // a Resize waits to be sent to the program
	failedCh chan struct{} // closed when the terminal fails

	lines *lockedWriter // the lines renderer's output
}

// New makes the Terminal that draws on out. Nothing is written until Run.
func New(out io.Writer, o Options) *Terminal {
	if o.Renderer == "" {
		o.Renderer = RendererCells
	}
	t := &Terminal{
		out:      out,
		opts:     o,
		wake:     make(chan struct{}, 1),
		resizes:  make(chan struct{}, 1),
		failedCh: make(chan struct{}),
	}
	t.lines = &lockedWriter{t: t}
	return t
}

// Bell rings the terminal's bell. It is safe from any goroutine and never
// lands inside a frame or an escape sequence: the cells renderer writes it
// between frames, the lines renderer under the lock of its writes.
func (t *Terminal) Bell() {
	if t.opts.Renderer == RendererLines {
		t.lines.bell()
		return
	}
	t.mu.Lock()
	t.bell = true
	t.mu.Unlock()
	t.poke()
}

// Resize tells the program the terminal is now w x h (an SSH
// window-change): the program gets a tea.WindowSizeMsg and the next frame
// is drawn whole. Safe from any goroutine; it never waits for the program.
// Before Run it sets the starting size.
func (t *Terminal) Resize(w, h int) {
	if w <= 0 || h <= 0 {
		return
	}
	t.mu.Lock()
	t.resizeW, t.resizeH, t.resized = w, h, true
	t.mu.Unlock()
	select {
	case t.resizes <- struct{}{}:
	default:
	}
}

// Stats returns what reached the terminal so far.
func (t *Terminal) Stats() Stats {
	return Stats{FramesWritten: t.written.Load(), FramesSkipped: t.skipped.Load(), BytesWritten: t.bytes.Load()}
}

// Run runs the program m on this terminal, reading keys and mouse from in
// (nil: no input), until it quits, ctx ends, a signal stops it, it
// panics or the terminal fails. On every one of those the terminal is
// restored: alternate screen left, cursor shown, mouse and bracketed paste
// off, input back out of raw mode. It returns the final model and why it
// ended: nil for a quit; a *PanicError for a panic in Update, View, Init
// or a command; an error wrapping ErrWriteTimeout or the write error when
// the terminal failed; Bubble Tea's errors otherwise (tea.ErrProgramKilled
// when ctx ended). The process's SIGINT and SIGTERM quit the program (as
// q would: nil) only when out is a file (the process's own terminal);
// SIGWINCH is followed only when out is a terminal. A Terminal runs once.
func (t *Terminal) Run(ctx context.Context, m tea.Model, in io.Reader) (tea.Model, error) {
	t.mu.Lock()
	if t.started {
		t.mu.Unlock()
		return m, errors.New("screen: a Terminal runs once")
	}
	t.started = true
	t.mu.Unlock()
	if t.opts.Renderer == RendererLines {
		return t.runLines(ctx, m, in)
	}
	return t.runCells(ctx, m, in)
}

// runCells runs the program without Bubble Tea's renderer; the writer
// goroutine draws its frames.
func (t *Terminal) runCells(ctx context.Context, m tea.Model, in io.Reader) (tea.Model, error) {
	w, h := t.startSize()
	in, closeIn, err := inputTerminal(in, t.out)
	if err != nil {
		return m, err
	}
	defer closeIn()
	restoreIn, err := rawMode(in)
	if err != nil {
		return m, err
	}
	defer restoreIn()

	prog := &program{inner: m, t: t, w: w, h: h, cells: true}
	opts := append(t.signals(), tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(io.Discard), tea.WithoutRenderer())
	if t.opts.Mouse {
		opts = append(opts, tea.WithMouseCellMotion()) // the input side (Windows); the modes are ours
	}
	p := tea.NewProgram(prog, opts...)
	t.setProgram(p)

	stop := make(chan struct{})
	wrote := make(chan struct{})
	go t.writeLoop(w, h, stop, wrote)
	forwarded := t.forwardResizes(p, stop)
	watched := t.watchSize(stop)
	quit := t.watchQuit(p, stop)

	_, err = p.Run()
	close(stop)
	<-forwarded
	<-watched
	<-quit
	select {
	case <-wrote: // the restore is written
	case <-t.failedCh: // the writer may be stuck in a write that will never return
	}
	return prog.inner, t.result(err)
}

// runLines runs the program with Bubble Tea's own renderer, as tokentop
// did before the cells renderer.
func (t *Terminal) runLines(ctx context.Context, m tea.Model, in io.Reader) (tea.Model, error) {
	prog := &program{inner: m, t: t}
	out, tty := io.Writer(t.lines), false
	if f, ok := t.out.(*os.File); ok {
		out, tty = lockedFile{File: f, w: t.lines}, term.IsTerminal(f.Fd()) // Bubble Tea still sees a terminal it can size
	}
	opts := append(t.signals(), tea.WithContext(ctx), tea.WithOutput(out))
	if in != io.Reader(os.Stdin) { // os.Stdin: Bubble Tea's default, which opens /dev/tty when stdin is not a terminal
		opts = append(opts, tea.WithInput(in))
	}
	if t.opts.AltScreen {
		opts = append(opts, tea.WithAltScreen())
	}
	if t.opts.Mouse {
		opts = append(opts, tea.WithMouseCellMotion())
	}
	p := tea.NewProgram(prog, opts...)
	t.setProgram(p)
	if !tty {
		t.Resize(t.startSize()) // nothing to ask: tell the program the size we were given
	}
	stop := make(chan struct{})
	forwarded := t.forwardResizes(p, stop)
	quit := t.watchQuit(p, stop)
	_, err := p.Run()
	close(stop)
	<-forwarded
	<-quit
	return prog.inner, t.result(err)
}

// signals are Bubble Tea's options for the process's signals: none of
// its own. Bubble Tea's handler sends SIGINT and SIGTERM into the event
// loop with a send that waits forever when the loop has just ended (the
// context cancelled by the same signal), and its shutdown waits for that
// handler: the program hangs with the terminal unrestored. watchQuit does
// the job without the wait.
func (t *Terminal) signals() []tea.ProgramOption {
	return []tea.ProgramOption{tea.WithoutSignalHandler()}
}

// watchQuit quits the program on SIGINT or SIGTERM, as q would, when it
// draws on a file (the process's own terminal; a remote terminal ends
// with its context). It ends when stop is closed.
func (t *Terminal) watchQuit(p *tea.Program, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	if _, ok := t.out.(*os.File); !ok {
		close(done)
		return done
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer close(done)
		defer signal.Stop(sig)
		select {
		case <-stop:
		case <-sig:
			p.Send(tea.QuitMsg{}) // returns at once if the program has ended
		}
	}()
	return done
}

// result is Run's error: a panic or a failed terminal first, as they are
// what a killed program was killed for.
func (t *Terminal) result(err error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.crash != nil:
		return t.crash
	case t.failure != nil:
		return t.failure
	}
	return err
}

func (t *Terminal) setProgram(p *tea.Program) {
	t.mu.Lock()
	t.prog = p
	t.mu.Unlock()
}

// startSize is the size to draw the first frame at: a Resize before Run,
// else Options' size, else the terminal's, else 80x24.
func (t *Terminal) startSize() (int, int) {
	t.mu.Lock()
	if t.resized {
		w, h := t.resizeW, t.resizeH
		t.resized = false
		t.mu.Unlock()
		return w, h
	}
	t.mu.Unlock()
	if t.opts.Width > 0 && t.opts.Height > 0 {
		return t.opts.Width, t.opts.Height
	}
	if f, ok := t.out.(term.File); ok {
		if w, h, err := term.GetSize(f.Fd()); err == nil && w > 0 && h > 0 {
			return w, h
		}
	}
	return 80, 24
}

// forwardResizes sends each outside size to the program (the latest one
// when several come at once) until stop is closed.
func (t *Terminal) forwardResizes(p *tea.Program, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-t.resizes:
			}
			t.mu.Lock()
			w, h, ok := t.resizeW, t.resizeH, t.resized
			t.resized = false
			t.mu.Unlock()
			if ok {
				p.Send(tea.WindowSizeMsg{Width: w, Height: h}) // returns at once once the program has ended
			}
		}
	}()
	return done
}

// fail marks the terminal failed (the first reason wins) and ends the
// program without waiting for it.
func (t *Terminal) fail(err error) {
	t.mu.Lock()
	if t.failure == nil {
		t.failure = err
		close(t.failedCh)
	}
	p := t.prog
	t.mu.Unlock()
	if p != nil {
		p.Kill()
	}
}

// rawMode puts in into raw mode when it is a terminal, and returns the
// function that puts it back.
func rawMode(in io.Reader) (restore func(), err error) {
	f, ok := in.(term.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return func() {}, nil
	}
	st, err := term.MakeRaw(f.Fd())
	if err != nil {
		return nil, fmt.Errorf("terminal: cannot read keys (raw mode): %w", err)
	}
	return func() { _ = term.Restore(f.Fd(), st) }, nil
}

// inputTerminal is where keys come from: in, or the controlling terminal
// when in is the process's standard input redirected from elsewhere while
// out is a terminal (as Bubble Tea does).
func inputTerminal(in io.Reader, out io.Writer) (io.Reader, func(), error) {
	none := func() {}
	f, ok := in.(*os.File)
	if !ok || f != os.Stdin || term.IsTerminal(f.Fd()) {
		return in, none, nil
	}
	if o, ok := out.(term.File); !ok || !term.IsTerminal(o.Fd()) {
		return in, none, nil
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return nil, none, fmt.Errorf("terminal: standard input is not a terminal and /dev/tty cannot be opened: %w", err)
	}
	return tty, func() { _ = tty.Close() }, nil
}
