package screen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/vt"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/feeds/feedtest"
)

// testModel is a program whose behaviour each test fills in.
type testModel struct {
	init   tea.Cmd
	update func(m *testModel, msg tea.Msg) tea.Cmd
	view   func(m *testModel) string
	w, h   int
	step   int
}

type stepMsg struct{}

func step() tea.Msg { return stepMsg{} }

// stepping makes m count stepMsgs and quit at the n-th; each other step
// returns step again, with also() batched when given.
func stepping(n int, also tea.Cmd) func(m *testModel, msg tea.Msg) tea.Cmd {
	return func(m *testModel, msg tea.Msg) tea.Cmd {
		if _, ok := msg.(stepMsg); !ok {
			return nil
		}
		m.step++
		if m.step == n {
			return tea.Quit
		}
		if also != nil {
			return tea.Batch(step, also)
		}
		return step
	}
}

func (m *testModel) Init() tea.Cmd { return m.init }

func (m *testModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if s, ok := msg.(tea.WindowSizeMsg); ok {
		m.w, m.h = s.Width, s.Height
	}
	if m.update == nil {
		return m, nil
	}
	return m, m.update(m, msg)
}

func (m *testModel) View() string {
	if m.view == nil {
		return ""
	}
	return m.view(m)
}

// numbered is a coloured frame of w x h that shows n, different for every n.
func numbered(n, w, h int) string {
	lines := make([]string, h)
	for y := range lines {
		text := fmt.Sprintf("frame %d row %d %s", n, y, strings.Repeat("·", max(w-30, 0)))
		lines[y] = fmt.Sprintf("\x1b[38;5;%dm%s\x1b[0m", (n+y)%256, text)
	}
	return strings.Join(lines, "\n")
}

// recorder is a terminal's output: it keeps every byte, and once gated it
// blocks writes until opened (a terminal that stopped reading).
type recorder struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	gate    chan struct{} // nil: never blocks
	free    int           // writes let through before the gate applies
	blocked chan struct{} // closed when a write first waits at the gate
	once    sync.Once
}

func newRecorder() *recorder { return &recorder{blocked: make(chan struct{})} }

// stalled blocks every write after the first free ones until open.
func stalled(free int) *recorder {
	r := newRecorder()
	r.gate, r.free = make(chan struct{}), free
	return r
}

func (r *recorder) open() { close(r.gate) }

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	wait := r.gate != nil && r.free == 0
	if r.free > 0 {
		r.free--
	}
	r.mu.Unlock()
	if wait {
		r.once.Do(func() { close(r.blocked) })
		<-r.gate
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Write(p)
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.buf.Bytes())
}

// run runs m on t in the background; the result arrives on the channel.
type result struct {
	m   tea.Model
	err error
}

func start(t *testing.T, term *Terminal, ctx context.Context, m tea.Model) <-chan result {
	t.Helper()
	done := make(chan result, 1)
	go func() {
		fm, err := term.Run(ctx, m, nil)
		done <- result{fm, err}
	}()
	return done
}

func wait(t *testing.T, done <-chan result) result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s")
		return result{}
	}
}

// shown is what an emulator of w x h shows after the frames in out (the
// bytes before the restore: the restore leaves the alternate screen).
func shown(out []byte, w, h int) *vt.Emulator {
	e := vt.NewEmulator(w, h)
	e.SetScrollbackSize(0)
	if i := bytes.LastIndex(out, []byte(syncEnd)); i >= 0 {
		out = out[:i+len(syncEnd)]
	}
	_, _ = e.Write(out)
	return e
}

// restored checks the bytes end with the terminal put back.
func restored(t *testing.T, out []byte, o Options) {
	t.Helper()
	i := bytes.LastIndex(out, []byte(syncEnd))
	if i < 0 {
		t.Fatalf("no frame in %q", out)
	}
	tail := string(out[i+len(syncEnd):])
	for _, want := range []string{bracketedPasteOff, cursorShow} {
		if !strings.Contains(tail, want) {
			t.Errorf("the end %q does not have %q", tail, want)
		}
	}
	if o.Mouse && !strings.Contains(tail, mouseOff) {
		t.Errorf("the end %q does not turn the mouse off", tail)
	}
	if o.AltScreen && !strings.HasSuffix(tail, altScreenOff) {
		t.Errorf("the end %q does not leave the alternate screen last", tail)
	}
}

var fullScreen = Options{AltScreen: true, Mouse: true, Width: 60, Height: 8}

func TestRunDrawsTheLastFrameAndRestores(t *testing.T) {
	feedtest.NoLeaks(t)
	out := newRecorder()
	term := New(out, fullScreen)
	m := &testModel{init: step, update: stepping(20, nil)}
	m.view = func(m *testModel) string { return numbered(m.step, m.w, m.h) }
	r := wait(t, start(t, term, context.Background(), m))
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.m != m {
		t.Errorf("Run returned %T, want the program's own model", r.m)
	}
	b := out.bytes()
	if !bytes.HasPrefix(b, []byte(altScreenOn+cursorHide+bracketedPasteOn+mouseOn)) {
		t.Errorf("the start %q does not set the modes", b[:min(len(b), 60)])
	}
	var want oracle
	sameScreen(t, shown(b, 60, 8), want.show(60, 8, numbered(20, 60, 8)), "the last frame")
	restored(t, b, fullScreen)
	if s := term.Stats(); s.FramesWritten == 0 || s.BytesWritten != uint64(len(b)) {
		t.Errorf("stats %+v, %d bytes written", s, len(b))
	}
}

// TestStalledTerminalKeepsOnlyTheLatestFrame: the terminal stops reading;
// 1,000 frames are made meanwhile without Update waiting and without
// memory growing; when it reads again it shows the last one.
func TestStalledTerminalKeepsOnlyTheLatestFrame(t *testing.T) {
	feedtest.NoLeaks(t)
	const w, h, frames = 200, 60, 1000
	out := stalled(1) // the modes go through; the writer is stuck on its first frame
	term := New(out, Options{AltScreen: true, Width: w, Height: h})
	var heap [2]uint64
	release := make(chan struct{})
	m := &testModel{init: step}
	m.update = func(m *testModel, msg tea.Msg) tea.Cmd {
		if _, ok := msg.(stepMsg); !ok {
			return nil
		}
		m.step++
		switch m.step {
		case 100, frames:
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heap[m.step/frames] = ms.HeapAlloc
		}
		if m.step == frames {
			return func() tea.Msg { <-release; return tea.QuitMsg{} }
		}
		return step
	}
	m.view = func(m *testModel) string { return numbered(m.step, w, h) }
	done := start(t, term, context.Background(), m)
	deadline := time.Now().Add(10 * time.Second)
	for term.Stats().FramesSkipped < frames-10 {
		if time.Now().After(deadline) {
			t.Fatalf("the program did not get to make its frames while the terminal was stalled: %+v", term.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	out.open()
	if r := wait(t, done); r.err != nil {
		t.Fatal(r.err)
	}
	// 900 frames of ~14 KB each would be ~12 MB if they were kept.
	if grew := int64(heap[1]) - int64(heap[0]); grew > 2<<20 {
		t.Errorf("the heap grew by %d bytes over 900 frames made while the terminal was stalled", grew)
	}
	var want oracle
	sameScreen(t, shown(out.bytes(), w, h), want.show(w, h, numbered(frames, w, h)), "after the stall")
	if s := term.Stats(); s.FramesWritten > 10 {
		t.Errorf("%d frames written: the stalled ones were not replaced (%+v)", s.FramesWritten, s)
	}
}

func TestWriteTimeoutEndsRun(t *testing.T) {
	feedtest.NoLeaks(t)
	out := stalled(1) // the modes go through, the first frame stalls
	defer out.open()  // let the stuck write return when the test ends
	term := New(out, Options{AltScreen: true, Width: 40, Height: 5, WriteTimeout: 20 * time.Millisecond})
	m := &testModel{view: func(m *testModel) string { return numbered(0, m.w, m.h) }}
	r := wait(t, start(t, term, context.Background(), m))
	if !errors.Is(r.err, ErrWriteTimeout) {
		t.Fatalf("Run returned %v, want ErrWriteTimeout", r.err)
	}
	if !strings.Contains(r.err.Error(), "stopped taking output") || !strings.Contains(r.err.Error(), "20ms") {
		t.Errorf("error %q does not say what happened", r.err)
	}
}

func TestRestoredOnEveryExit(t *testing.T) {
	boom := func() { panic("boom") }
	cases := []struct {
		name   string
		cancel bool                                    // end by cancelling Run's context
		update func(m *testModel, msg tea.Msg) tea.Cmd // on the first stepMsg
		view   bool                                    // panic in View after the first step
		where  string                                  // a PanicError from here; "" = none
	}{
		{name: "quit", update: func(*testModel, tea.Msg) tea.Cmd { return tea.Quit }},
		{name: "context cancelled", cancel: true},
		{name: "panic in Update", update: func(*testModel, tea.Msg) tea.Cmd { boom(); return nil }, where: "Update"},
		{name: "panic in View", view: true, where: "View"},
		{name: "panic in a command", where: "a command",
			update: func(*testModel, tea.Msg) tea.Cmd { return func() tea.Msg { boom(); return nil } }},
		{name: "panic in a batched command", where: "a command",
			update: func(*testModel, tea.Msg) tea.Cmd {
				return tea.Batch(func() tea.Msg { return nil }, func() tea.Msg { boom(); return nil })
			}},
		{name: "panic in a sequence", where: "a command",
			update: func(*testModel, tea.Msg) tea.Cmd {
				return tea.Sequence(func() tea.Msg { return nil }, func() tea.Msg { boom(); return nil })
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			feedtest.NoLeaks(t)
			out := newRecorder()
			term := New(out, fullScreen)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			drawn := make(chan struct{})
			var once sync.Once
			m := &testModel{init: step}
			m.update = func(m *testModel, msg tea.Msg) tea.Cmd {
				if _, ok := msg.(stepMsg); ok {
					m.step++
					if c.update != nil {
						return c.update(m, msg)
					}
				}
				return nil
			}
			m.view = func(m *testModel) string {
				if c.view && m.step > 0 {
					boom()
				}
				once.Do(func() { close(drawn) })
				return numbered(m.step, m.w, m.h)
			}
			done := start(t, term, ctx, m)
			if c.cancel {
				<-drawn
				cancel()
			}
			r := wait(t, done)
			var pe *PanicError
			switch {
			case c.where != "":
				if !errors.As(r.err, &pe) || pe.Where != c.where || fmt.Sprint(pe.Value) != "boom" || len(pe.Stack) == 0 {
					t.Fatalf("Run returned %v, want a panic in %s with its stack", r.err, c.where)
				}
			case c.cancel:
				if !errors.Is(r.err, tea.ErrProgramKilled) {
					t.Fatalf("Run returned %v, want tea.ErrProgramKilled", r.err)
				}
			case r.err != nil:
				t.Fatal(r.err)
			}
			restored(t, out.bytes(), fullScreen)
		})
	}
}

// TestBellIsNeverInsideAFrame: bells rung from another goroutine while
// frames are drawn land between frames and outside escape sequences.
func TestBellIsNeverInsideAFrame(t *testing.T) {
	out := newRecorder()
	term := New(out, fullScreen)
	m := &testModel{init: step, update: stepping(200, func() tea.Msg { term.Bell(); return nil })}
	m.view = func(m *testModel) string { return numbered(m.step, m.w, m.h) }
	if r := wait(t, start(t, term, context.Background(), m)); r.err != nil {
		t.Fatal(r.err)
	}
	b := out.bytes()
	bells, inFrame := 0, false
	for i := 0; i < len(b); i++ {
		switch {
		case bytes.HasPrefix(b[i:], []byte(syncBegin)):
			inFrame = true
		case bytes.HasPrefix(b[i:], []byte(syncEnd)):
			inFrame = false
		case b[i] == '\a':
			if inFrame {
				t.Fatalf("a bell inside a frame at byte %d: %q", i, b[max(i-40, 0):min(i+10, len(b))])
			}
			if i > 0 && bytes.LastIndexByte(b[:i], '\x1b') > bytes.LastIndexAny(b[:i], "mhlHJKABCDG\a") {
				t.Fatalf("a bell inside an escape sequence at byte %d: %q", i, b[max(i-20, 0):i+1])
			}
			bells++
		}
	}
	if bells == 0 {
		t.Error("no bell was written")
	}
}

// TestResizeRedrawsWhole: an outside resize (an SSH window change) reaches
// the program as a WindowSizeMsg and the next frame is drawn on a cleared
// screen at the new size.
func TestResizeRedrawsWhole(t *testing.T) {
	feedtest.NoLeaks(t)
	out := newRecorder()
	term := New(out, Options{AltScreen: true, Width: 40, Height: 6})
	resized := make(chan struct{})
	m := &testModel{}
	m.update = func(m *testModel, msg tea.Msg) tea.Cmd {
		if s, ok := msg.(tea.WindowSizeMsg); ok && s.Width == 70 {
			close(resized)
			return tea.Quit
		}
		return nil
	}
	m.view = func(m *testModel) string { return numbered(m.w, m.w, m.h) }
	done := start(t, term, context.Background(), m)
	term.Resize(70, 12)
	<-resized
	if r := wait(t, done); r.err != nil {
		t.Fatal(r.err)
	}
	b := out.bytes()
	last := b[bytes.LastIndex(b, []byte(syncBegin)):]
	if !bytes.Contains(last, []byte(clearScreen)) {
		t.Errorf("the frame after the resize does not clear the screen: %q", last[:min(len(last), 80)])
	}
	var want oracle
	sameScreen(t, shown(b, 70, 12), want.show(70, 12, numbered(70, 70, 12)), "after the resize")
}

// TestLinesRenderer: the way out keeps Bubble Tea's renderer, the modes,
// the restore and the bell under the same lock as the frames.
func TestLinesRenderer(t *testing.T) {
	feedtest.NoLeaks(t)
	out := newRecorder()
	o := fullScreen
	o.Renderer = RendererLines
	term := New(out, o)
	m := &testModel{init: step}
	// Quit once both the step and the window's size have come (in either
	// order: quitting before the size would leave no frame to check).
	stepped := false
	m.update = func(m *testModel, msg tea.Msg) tea.Cmd {
		switch msg.(type) {
		case stepMsg:
			stepped = true
			term.Bell()
		case tea.WindowSizeMsg:
		default:
			return nil
		}
		if stepped && m.w > 0 {
			return func() tea.Msg { return tea.QuitMsg{} }
		}
		return nil
	}
	m.view = func(m *testModel) string { return numbered(m.w, m.w, m.h) }
	if r := wait(t, start(t, term, context.Background(), m)); r.err != nil {
		t.Fatal(r.err)
	}
	b := string(out.bytes())
	for _, want := range []string{altScreenOn, "frame 60 row 0", bell, altScreenOff, cursorShow} {
		if !strings.Contains(b, want) {
			t.Errorf("the output does not have %q: %q", want, b[:min(len(b), 200)])
		}
	}
	if s := term.Stats(); s.BytesWritten != uint64(len(b)) || s.FramesWritten == 0 {
		t.Errorf("stats %+v for %d bytes", s, len(b))
	}
}

func TestRunsOnce(t *testing.T) {
	term := New(newRecorder(), Options{Width: 10, Height: 2})
	m := &testModel{init: tea.Quit}
	if r := wait(t, start(t, term, context.Background(), m)); r.err != nil {
		t.Fatal(r.err)
	}
	if _, err := term.Run(context.Background(), m, nil); err == nil {
		t.Error("a second Run did not fail")
	}
}

// The config's renderer names are the ones Options.Renderer takes.
func TestConfigRenderersMatch(t *testing.T) {
	if got, want := config.Renderers(), Renderers(); !slices.Equal(got, want) {
		t.Errorf("config offers %v, screen takes %v", got, want)
	}
	if config.Default().UI.Renderer != RendererCells {
		t.Errorf("the default renderer is %q, want %q", config.Default().UI.Renderer, RendererCells)
	}
}

// TestSignalWithCancelledContextNeverHangs: SIGINT or SIGTERM arriving
// while the same signal cancels Run's context (main does that with
// signal.NotifyContext) ends Run with the terminal restored. Bubble Tea's
// own handler hung here: its send into the event loop, which the cancel
// had just ended, never returned, and its shutdown waited for it.
func TestSignalWithCancelledContextNeverHangs(t *testing.T) {
	feedtest.NoLeaks(t)
	hold := make(chan os.Signal, 1) // while the test runs, no signal ends the test process
	signal.Notify(hold, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(hold)
	for i := 0; i < 40; i++ {
		sig := []syscall.Signal{syscall.SIGTERM, syscall.SIGINT}[i%2]
		f, err := os.CreateTemp(t.TempDir(), "terminal")
		if err != nil {
			t.Fatal(err)
		}
		term := New(f, fullScreen)
		drawn := make(chan struct{})
		var once sync.Once
		m := &testModel{view: func(m *testModel) string {
			once.Do(func() { close(drawn) })
			return numbered(m.step, m.w, m.h)
		}}
		ctx, stop := signal.NotifyContext(context.Background(), sig)
		done := start(t, term, ctx, m)
		<-drawn
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		if r := wait(t, done); r.err != nil && !errors.Is(r.err, tea.ErrProgramKilled) {
			t.Fatalf("run %d (%v): %v", i, sig, r.err)
		}
		stop()
		out, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		restored(t, out, fullScreen)
		f.Close()
	}
}
