package screen

import (
	"fmt"
	"reflect"
	"runtime/debug"

	tea "github.com/charmbracelet/bubbletea"
)

// PanicError is the error Run returns when the program panicked in Init,
// Update, View or a command. The terminal is restored before Run returns.
type PanicError struct {
	Where string // "Init", "Update", "View" or "a command"
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string { return fmt.Sprintf("crashed in %s: %v", e.Where, e.Value) }

// program wraps the model Run was given. It runs on Bubble Tea's event
// loop: it keeps the window size, hands each View to the writer (cells
// renderer), and turns a panic anywhere in the program into a restored
// terminal and a *PanicError.
type program struct {
	inner tea.Model
	t     *Terminal
	w, h  int
	cells bool
}

var (
	clearScreenMsg = tea.ClearScreen()
	titleMsgType   = reflect.TypeOf(tea.SetWindowTitle("")())
	cmdType        = reflect.TypeOf(tea.Cmd(nil))
)

func (p *program) Init() (cmd tea.Cmd) {
	defer p.recover("Init", &cmd)
	cmds := []tea.Cmd{p.inner.Init()}
	if p.cells {
		// Bubble Tea sends no size without its renderer: the first
		// message is the size, before the first View.
		var size tea.Cmd
		p.inner, size = p.inner.Update(tea.WindowSizeMsg{Width: p.w, Height: p.h})
		cmds = append(cmds, size)
	} else if p.t.opts.Title != "" {
		cmds = append(cmds, tea.SetWindowTitle(p.t.opts.Title))
	}
	return p.guard(tea.Batch(cmds...))
}

func (p *program) Update(msg tea.Msg) (_ tea.Model, cmd tea.Cmd) {
	if p.t.crashed.Load() {
		return p, nil
	}
	defer p.recover("Update", &cmd)
	if size, ok := msg.(tea.WindowSizeMsg); ok {
		p.w, p.h = size.Width, size.Height
	}
	if p.cells {
		// Bubble Tea's renderer would act on these; ours does.
		if msg == clearScreenMsg {
			p.t.redrawNext()
		} else if reflect.TypeOf(msg) == titleMsgType {
			p.t.setTitle(reflect.ValueOf(msg).String())
		}
	}
	p.inner, cmd = p.inner.Update(msg)
	return p, p.guard(cmd)
}

func (p *program) View() (view string) {
	if p.t.crashed.Load() {
		return ""
	}
	var none tea.Cmd
	defer p.recover("View", &none)
	v := p.inner.View()
	if p.cells {
		p.t.submit(v, p.w, p.h)
		return ""
	}
	return v
}

// recover turns a panic into the Terminal's crash: it records the first
// one, clears the command being returned, and ends the program (without
// waiting: the restore follows in Run).
func (p *program) recover(where string, cmd *tea.Cmd) {
	r := recover()
	if r == nil {
		return
	}
	*cmd = nil
	p.t.crashWith(&PanicError{Where: where, Value: r, Stack: debug.Stack()})
}

// guard wraps a command so a panic in it is caught like one in Update;
// the commands of a batch or a sequence it returns are guarded too.
func (p *program) guard(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() (msg tea.Msg) {
		var none tea.Cmd
		defer p.recover("a command", &none)
		msg = cmd()
		// tea.BatchMsg and Bubble Tea's sequence message are slices of
		// commands the event loop runs itself.
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == cmdType {
			guarded := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			for i := range v.Len() {
				c, _ := v.Index(i).Interface().(tea.Cmd)
				guarded.Index(i).Set(reflect.ValueOf(p.guard(c)))
			}
			return guarded.Interface()
		}
		return msg
	}
}

// crashWith records the program's first panic and ends it.
func (t *Terminal) crashWith(e *PanicError) {
	t.mu.Lock()
	if t.crash == nil {
		t.crash = e
	}
	prog := t.prog
	t.mu.Unlock()
	t.crashed.Store(true)
	if prog != nil {
		prog.Kill()
	}
}
