package ui

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
)

// lockedBuffer is a program's output: written by its renderer, read by the
// test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// colourSGR matches a foreground or background colour in an SGR sequence:
// 38;2/48;2 (true colour), 38;5/48;5 (256 colours) or a basic 30-37,
// 40-47, 90-97, 100-107 code.
var (
	trueColourSGR = regexp.MustCompile(`\x1b\[[0-9;]*[34]8;2;`)
	ansi256SGR    = regexp.MustCompile(`\x1b\[[0-9;]*[34]8;5;`)
	anyColourSGR  = regexp.MustCompile(`\x1b\[([0-9;]*;)?([34][0-7]|9[0-7]|10[0-7]|[34]8)(;[0-9;]*)?m`)
)

// TestSessionsKeepTheirOwnProfiles: under `tokentop serve` one process runs
// a program per SSH session, each drawing with its own renderer (the
// client's colour profile). Two programs, true colour and Ascii, on the
// same theme, run at the same time in one process, each through the table,
// the detail pane with its chart, and the help page; each one's output has
// only its own profile's codes. lipgloss's process-wide renderer is set to
// a 256-colour profile neither session uses, so anything drawn through it
// would show. (Run under -race, it also finds state the two share.)
func TestSessionsKeepTheirOwnProfiles(t *testing.T) {
	old := lipgloss.DefaultRenderer()
	poison := lipgloss.NewRenderer(io.Discard)
	poison.SetColorProfile(termenv.ANSI256)
	poison.SetHasDarkBackground(false)
	lipgloss.SetDefaultRenderer(poison)
	t.Cleanup(func() { lipgloss.SetDefaultRenderer(old) })

	type session struct {
		name string
		out  *lockedBuffer
		p    *tea.Program
		box  *model.Mailbox[*model.Snapshot]
		done chan error
	}
	start := func(name string, profile termenv.Profile) *session {
		out := &lockedBuffer{}
		r := NewRenderer(out, profile)
		box := model.NewMailbox[*model.Snapshot]()
		now := t0
		m := New(Options{Snapshots: box, History: &fakeHistory{}, Theme: testTheme(t, "dark"), Renderer: r,
			Clock: fixedClock(&now), RefreshHz: 50, Demo: true, Version: "v0.1.0-test"})
		s := &session{name: name, out: out, box: box, done: make(chan error, 1),
			p: tea.NewProgram(m, tea.WithInput(nil), tea.WithOutput(out), tea.WithoutSignalHandler())}
		go func() {
			_, err := s.p.Run()
			s.done <- err
		}()
		s.p.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
		return s
	}
	sessions := []*session{start("true colour", termenv.TrueColor), start("ascii", termenv.Ascii)}
	t.Cleanup(func() {
		for _, s := range sessions {
			s.p.Quit()
			select {
			case <-s.done:
			case <-time.After(5 * time.Second):
				t.Errorf("%s: the program did not stop", s.name)
			}
		}
	})

	// waitOut waits until the session's output contains want; meanwhile a
	// new snapshot every round keeps both sessions drawing.
	snap := makeSnapshot(30, 1)
	waitOut := func(s *session, want string) bool {
		deadline := time.Now().Add(10 * time.Second)
		for k := 0; !strings.Contains(s.out.String(), want); k++ {
			if time.Now().After(deadline) {
				t.Errorf("%s: %q never drawn", s.name, want)
				return false
			}
			s.box.Put(nextSnapshot(snap, k%30, (k+7)%30))
			time.Sleep(5 * time.Millisecond)
		}
		return true
	}
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Go(func() {
			s.box.Put(snap)
			if !waitOut(s, "BTC") { // the table
				return
			}
			s.p.Send(tea.KeyMsg{Type: tea.KeyEnter})
			if !waitOut(s, "24h high") || !waitOut(s, "Recent trades") { // the detail pane and its chart
				return
			}
			s.p.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}})
			waitOut(s, "tokentop keys") // the help page
		})
	}
	wg.Wait()

	tc, ascii := sessions[0].out.String(), sessions[1].out.String()
	if !trueColourSGR.MatchString(tc) {
		t.Error("the true-colour session drew no true colour")
	}
	if loc := anyColourSGR.FindStringIndex(ascii); loc != nil {
		t.Errorf("the Ascii session drew a colour: %q", ascii[max(loc[0]-20, 0):min(loc[1]+20, len(ascii))])
	}
	for _, s := range sessions {
		if loc := ansi256SGR.FindStringIndex(s.out.String()); loc != nil {
			out := s.out.String()
			t.Errorf("%s: drawn through the process-wide renderer: %q", s.name, out[max(loc[0]-20, 0):min(loc[1]+20, len(out))])
		}
	}
}

// New and NewStyles refuse to run without a renderer rather than fall back
// to the process-wide one.
func TestRendererRequired(t *testing.T) {
	for name, f := range map[string]func(){
		"New":       func() { New(Options{Theme: testTheme(t, "dark")}) },
		"NewStyles": func() { NewStyles(testTheme(t, "dark"), nil) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "enderer") {
					t.Errorf("%s without a renderer: %v", name, r)
				}
			}()
			f()
		}()
	}
}
