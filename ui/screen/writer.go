package screen

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Modes the cells renderer sets at start and resets at the end, as Bubble
// Tea's renderer does.
const (
	altScreenOn       = "\x1b[?1049h"
	altScreenOff      = "\x1b[?1049l"
	cursorHide        = "\x1b[?25l"
	cursorShow        = "\x1b[?25h"
	bracketedPasteOn  = "\x1b[?2004h"
	bracketedPasteOff = "\x1b[?2004l"
	mouseOn           = "\x1b[?1002h\x1b[?1006h"            // cell motion, SGR coordinates
	mouseOff          = "\x1b[?1002l\x1b[?1003l\x1b[?1006l" // every mode Bubble Tea may have set
	bell              = "\a"
)

// poke wakes the writer.
func (t *Terminal) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// submit hands the writer the latest frame, drawn at w x h. Called from
// the program's View on the event loop: it never waits for the terminal.
func (t *Terminal) submit(frame string, w, h int) {
	t.mu.Lock()
	if t.hasFrame {
		t.skipped.Add(1) // replaced before the writer took it
	}
	t.frame, t.frameW, t.frameH, t.hasFrame = frame, w, h, true
	t.mu.Unlock()
	t.poke()
}

// redrawNext makes the next frame clear the screen and draw every cell.
func (t *Terminal) redrawNext() {
	t.mu.Lock()
	t.redraw = true
	t.mu.Unlock()
	t.poke()
}

// setTitle sets the window title at the next write.
func (t *Terminal) setTitle(title string) {
	t.mu.Lock()
	t.title, t.newTitle = title, true
	t.mu.Unlock()
	t.poke()
}

// writeLoop is the one goroutine that writes to the terminal in the cells
// renderer: the modes at start, then whatever is newest each time it is
// woken (the bell, a title, the latest frame), at most 60 frames a
// second; when stop is closed, the last frame and the restore. It returns
// at once when the terminal fails.
func (t *Terminal) writeLoop(w, h int, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	scr := newScreen(w, h, t.opts.Profile)
	var buf []byte
	if t.opts.Title != "" {
		buf = appendTitle(buf, t.opts.Title)
	}
	if t.opts.AltScreen {
		buf = append(buf, altScreenOn...)
	}
	buf = append(buf, cursorHide...)
	buf = append(buf, bracketedPasteOn...)
	if t.opts.Mouse {
		buf = append(buf, mouseOn...)
	}
	if !t.write(buf) {
		return
	}
	pace := time.NewTimer(0)
	defer pace.Stop()
	for stopping := false; ; {
		select {
		case <-t.wake:
		case <-stop:
			stopping = true
		}
		if !stopping {
			select { // pace frames; what comes meanwhile coalesces
			case <-pace.C:
			case <-stop:
				stopping = true
			}
		}
		t.mu.Lock()
		frame, fw, fh, hasFrame := t.frame, t.frameW, t.frameH, t.hasFrame
		ring, redraw := t.bell, t.redraw
		title, newTitle := t.title, t.newTitle
		t.frame, t.hasFrame, t.bell, t.redraw, t.newTitle = "", false, false, false, false
		t.mu.Unlock()

		buf = buf[:0]
		if ring {
			buf = append(buf, bell...) // between frames, never inside one
		}
		if newTitle {
			buf = appendTitle(buf, title)
		}
		var drawn []byte
		if hasFrame {
			if fw != scr.width || fh != scr.height {
				scr.resize(fw, fh)
			} else if redraw {
				scr.redraw()
			}
			drawn = scr.render(frame)
			t.written.Add(1)
		}
		if len(buf) > 0 {
			buf = append(buf, drawn...)
			drawn = buf
		}
		if len(drawn) > 0 {
			if !t.write(drawn) {
				return
			}
			pace.Reset(frameInterval)
		} else if !stopping {
			pace.Reset(0)
		}
		if stopping {
			t.write(appendRestore(buf[:0], t.opts, scr.height))
			return
		}
	}
}

// appendRestore appends what puts the terminal back: the default pen,
// bracketed paste and mouse off, the cursor shown, and the alternate
// screen left (or, without it, the cursor below the last frame).
func appendRestore(dst []byte, o Options, height int) []byte {
	dst = append(dst, syncEnd...) // in case a failed write left a frame open
	dst = append(dst, resetPen...)
	dst = append(dst, bracketedPasteOff...)
	if o.Mouse {
		dst = append(dst, mouseOff...)
	}
	dst = append(dst, cursorShow...)
	if o.AltScreen {
		return append(dst, altScreenOff...)
	}
	return append(appendCUP(dst, 0, max(height-1, 0)), '\r', '\n')
}

// appendTitle appends the sequence that sets the window title, with every
// control character taken out of title.
func appendTitle(dst []byte, title string) []byte {
	dst = append(dst, "\x1b]2;"...)
	for _, r := range title {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			continue
		}
		dst = append(dst, string(r)...)
	}
	return append(dst, '\a')
}

// write writes p to the terminal within the write timeout; on failure the
// terminal is marked failed and the program ended.
func (t *Terminal) write(p []byte) bool {
	n, err := t.writeTimed(t.out, p)
	t.bytes.Add(uint64(max(n, 0)))
	if err != nil {
		t.fail(err)
		return false
	}
	return true
}

// writeTimed writes p to w. With a write timeout it sets a deadline on
// writers that take one (network connections); on others a watchdog
// fails the terminal when the write is late, and the write is left to
// return whenever out is closed.
func (t *Terminal) writeTimed(w io.Writer, p []byte) (int, error) {
	d := t.opts.WriteTimeout
	if d <= 0 {
		n, err := w.Write(p)
		if err != nil {
			err = fmt.Errorf("the terminal cannot be written to: %w", err)
		}
		return n, err
	}
	late := fmt.Errorf("%w: a write took longer than %v", ErrWriteTimeout, d)
	if dw, ok := w.(interface{ SetWriteDeadline(time.Time) error }); ok && dw.SetWriteDeadline(time.Now().Add(d)) == nil {
		n, err := w.Write(p)
		if err != nil {
			if os.IsTimeout(err) {
				return n, late
			}
			return n, fmt.Errorf("the terminal cannot be written to: %w", err)
		}
		return n, nil
	}
	watchdog := time.AfterFunc(d, func() { t.fail(late) })
	n, err := w.Write(p)
	if !watchdog.Stop() {
		return n, late
	}
	if err != nil {
		err = fmt.Errorf("the terminal cannot be written to: %w", err)
	}
	return n, err
}

// lockedWriter is the lines renderer's output: each write (Bubble Tea
// writes a frame in one) and the bell take the same lock, so the bell
// never lands inside a frame or an escape sequence.
type lockedWriter struct {
	t  *Terminal
	mu sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.t.writeTimed(l.t.out, p)
	l.t.bytes.Add(uint64(max(n, 0)))
	l.t.written.Add(1)
	if err != nil {
		l.t.fail(err)
	}
	return n, err
}

func (l *lockedWriter) bell() {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.t.writeTimed(l.t.out, []byte(bell))
	l.t.bytes.Add(uint64(max(n, 0)))
	if err != nil {
		l.t.fail(err)
	}
}

// lockedFile is the lines renderer's output when the terminal is a file:
// Bubble Tea sees the file (to size it and read its modes) but writes
// through the lock.
type lockedFile struct {
	*os.File
	w *lockedWriter
}

func (f lockedFile) Write(p []byte) (int, error) { return f.w.Write(p) }
