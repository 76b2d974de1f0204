// Command sshload measures `tokentop serve` under load: it starts the
// server (the binary given with --bin, on the demo market), opens N SSH
// sessions at 120x40 (each its own user), and in each presses j or k once
// a second, timing until the screen shows the cursor on its new row
// (key-to-screen latency; the screen is read back through x/vt). It
// reports the server's CPU (% of one core, from /proc/PID/stat), its RSS
// (VmHWM, and per session over the RSS with no session), bytes/s per
// session, the latency's p50 and p99, and its own CPU: it shares the
// machine with the server.
//
//	go build -o /tmp/tokentop . && go run ./internal/sshload --bin /tmp/tokentop -n 100
//
// It is a development tool, never built into tokentop.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tokentop/tokentop/internal/sshterm"
)

type options struct {
	bin       string
	n         int
	stalled   int
	width     int
	height    int
	every     time.Duration
	warm      time.Duration
	measure   time.Duration
	speed     float64
	extraArgs string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "the tokentop binary to run as the server (required)")
	flag.IntVar(&o.n, "n", 10, "sessions that press keys")
	flag.IntVar(&o.stalled, "stalled", 0, "more sessions that stop reading once their dashboard shows")
	flag.IntVar(&o.width, "width", 120, "terminal width")
	flag.IntVar(&o.height, "height", 40, "terminal height")
	flag.DurationVar(&o.every, "every", time.Second, "a key this often in each session")
	flag.DurationVar(&o.warm, "warm", 5*time.Second, "wait this long after the sessions open before measuring")
	flag.DurationVar(&o.measure, "for", 30*time.Second, "measure this long")
	flag.Float64Var(&o.speed, "demo-speed", 1, "the demo market's speed")
	flag.StringVar(&o.extraArgs, "server-args", "", "more arguments for tokentop serve, space separated (e.g. --cpuprofile /tmp/cpu.out)")
	flag.Parse()
	if o.bin == "" {
		fmt.Fprintln(os.Stderr, "sshload: --bin is required (go build -o /tmp/tokentop . first)")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "sshload:", err)
		os.Exit(1)
	}
}

// client is one session and its latency bookkeeping.
type client struct {
	tm *sshterm.Term

	mu      sync.Mutex
	sent    time.Time // when the pending key was sent; zero: none pending
	want    int       // the row the cursor must reach
	samples []time.Duration
	lost    int
	row     atomic.Int64 // the cursor's row as last drawn, -1 unknown
}

// onScreen runs on the client's reader after each piece of output.
func (c *client) onScreen(e *vt.Emulator) {
	row := -1
	for y := 0; y < e.Height(); y++ {
		if cell := e.CellAt(0, y); cell != nil && cell.Content == "▸" {
			row = y
			break
		}
	}
	c.row.Store(int64(row))
	c.mu.Lock()
	if !c.sent.IsZero() && row == c.want {
		c.samples = append(c.samples, time.Since(c.sent))
		c.sent = time.Time{}
	}
	c.mu.Unlock()
}

// press sends j or k so the cursor moves between two rows, unless a key
// is still waiting for its screen (then it is counted lost after 5 s).
func (c *client) press(down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.sent.IsZero() {
		if time.Since(c.sent) < 5*time.Second {
			return
		}
		c.lost++
	}
	row := int(c.row.Load())
	key, want := "k", row-1
	if down {
		key, want = "j", row+1
	}
	c.sent, c.want = time.Now(), want
	_ = c.tm.Type(key)
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "sshload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	total := o.n + o.stalled
	keys := make([]gossh.Signer, total)
	var lines []string
	for i := range keys {
		s, line, err := sshterm.NewKey(fmt.Sprintf("load-%d", i))
		if err != nil {
			return err
		}
		keys[i] = s
		lines = append(lines, line)
	}
	cfgDir := filepath.Join(dir, "config", "tokentop")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "authorized_keys"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	// Stalled clients stay connected for the whole run (a write timeout
	// longer than it), the worst case for everyone else.
	cfg := fmt.Sprintf("[serve]\nmax_sessions = %d\nmax_sessions_per_ip = %d\nwrite_timeout = \"10m\"\n", total+10, total+10)
	cfgPath := filepath.Join(cfgDir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	args := []string{"serve", "--demo", "--demo-speed", strconv.FormatFloat(o.speed, 'g', -1, 64), "--listen", "127.0.0.1:0",
		"--config", cfgPath, "--data-dir", filepath.Join(dir, "data"), "--log", filepath.Join(dir, "serve.log")}
	if o.extraArgs != "" {
		args = append(args, strings.Fields(o.extraArgs)...)
	}
	cmd := exec.Command(o.bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	var stopOnce sync.Once
	stopServer := func() {
		stopOnce.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
			}
		})
	}
	defer stopServer()
	banner, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no start line: %w", err)
	}
	m := regexp.MustCompile(`listening on (\S+)`).FindStringSubmatch(banner)
	if m == nil {
		return fmt.Errorf("start line %q", banner)
	}
	addr, pid := m[1], cmd.Process.Pid
	fmt.Printf("server pid %d on %s; %d sessions at %dx%d (+%d stalled), a key every %v\n", pid, addr, o.n, o.width, o.height, o.stalled, o.every)

	time.Sleep(o.warm) // the demo market's first minutes
	idle, err := sample(pid)
	if err != nil {
		return err
	}
	time.Sleep(5 * time.Second)
	idle2, err := sample(pid)
	if err != nil {
		return err
	}
	fmt.Printf("no session: CPU %.1f%% of a core, RSS %.1f MB\n", idle2.cpuSince(idle), mb(idle2.rss))

	clients := make([]*client, total)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	var dialErr atomic.Value
	opened := time.Now()
	for i := range clients {
		c := &client{}
		c.row.Store(-1)
		clients[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			tm, err := sshterm.Dial(sshterm.Options{Addr: addr, Key: keys[i], Width: o.width, Height: o.height, OnScreen: c.onScreen})
			if err != nil {
				dialErr.Store(err)
				return
			}
			c.tm = tm
			if _, err := tm.WaitFor(60*time.Second, func(s string) bool { return c.row.Load() >= 0 }); err != nil {
				dialErr.Store(fmt.Errorf("session %d: no dashboard: %w", i, err))
				return
			}
			if i >= o.n {
				// Stop reading, then make the server redraw the whole
				// screen at the largest size a few times: the SSH
				// window (2 MB) runs out and the server's writes to
				// this client block for the rest of the run.
				tm.StopReading()
				for r := range stallRedraws {
					_ = tm.Resize(600-r%2, 300)
					time.Sleep(120 * time.Millisecond) // a frame or more apart (10 Hz)
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := dialErr.Load().(error); err != nil {
		return err
	}
	fmt.Printf("%d sessions open in %v\n", total, time.Since(opened).Round(time.Millisecond))
	closeAll := func() {
		for _, c := range clients {
			c.tm.Close()
		}
	}
	defer closeAll()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pressers sync.WaitGroup
	for i, c := range clients[:o.n] {
		pressers.Add(1)
		go func() {
			defer pressers.Done()
			// Spread the sessions' keys over the interval.
			select {
			case <-time.After(o.every * time.Duration(i) / time.Duration(max(o.n, 1))):
			case <-ctx.Done():
				return
			}
			t := time.NewTicker(o.every)
			defer t.Stop()
			for down := true; ; down = !down {
				c.press(down)
				select {
				case <-t.C:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	time.Sleep(o.warm)
	for _, c := range clients {
		c.mu.Lock()
		c.samples, c.lost = c.samples[:0], 0
		c.mu.Unlock()
	}
	recv0 := received(clients[:o.n])
	start, err := sample(pid)
	if err != nil {
		return err
	}
	self0, _ := selfSample()
	time.Sleep(o.measure)
	end, err := sample(pid)
	if err != nil {
		return err
	}
	self1, _ := selfSample()
	recv1 := received(clients[:o.n])
	cancel()
	pressers.Wait()

	var all []time.Duration
	lost := 0
	for _, c := range clients[:o.n] {
		c.mu.Lock()
		all = append(all, c.samples...)
		lost += c.lost
		c.mu.Unlock()
	}
	slices.Sort(all)
	secs := end.at.Sub(start.at).Seconds()
	fmt.Printf("server: CPU %.1f%% of a core; RSS %.1f MB now, VmHWM %.1f MB; %.2f MB per session over the RSS with none\n",
		end.cpuSince(start), mb(end.rss), mb(end.hwm), mb(end.rss-idle2.rss)/float64(total))
	la, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("server waited for a CPU %v per second (taken by other processes, this tool's included); load average %s\n",
		end.waitedPerSec(start).Round(time.Millisecond), strings.Join(strings.Fields(string(la))[:3], " "))
	fmt.Printf("per session: %.0f bytes/s received\n", float64(recv1-recv0)/secs/float64(max(o.n, 1)))
	fmt.Printf("key to screen: %d keys, p50 %v, p99 %v, max %v, %d lost (no screen within 5s)\n",
		len(all), pct(all, 0.50), pct(all, 0.99), pct(all, 1), lost)
	fmt.Printf("this tool: CPU %.1f%% of a core (it shares the machine's cores with the server)\n", self1.cpuSince(self0))

	if o.stalled == 0 {
		return nil
	}
	// What the stalled clients read, against what the server sent them
	// (its log, once the sessions ended): the difference is what waited
	// in the SSH window, so their writes were blocked.
	read := map[string]int64{}
	for i, c := range clients[o.n:] {
		read[gossh.FingerprintSHA256(keys[o.n+i].PublicKey())] = c.tm.Received()
	}
	closeAll()
	stopServer()
	log, err := os.ReadFile(filepath.Join(dir, "serve.log"))
	if err != nil {
		return err
	}
	ended := regexp.MustCompile(`msg="ssh: session ended" user=(\S+) .* bytes=(\d+)`)
	for _, l := range strings.Split(string(log), "\n") {
		m := ended.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		r, ok := read[m[1]]
		if !ok {
			continue
		}
		sent, _ := strconv.ParseInt(m[2], 10, 64)
		state := "its window was used up: the server's writes to it were blocked"
		if sent-r < window-5*packet {
			state = "its window was NOT used up: the server's writes to it were not blocked"
		}
		fmt.Printf("stalled session: the server sent it %.2f MB, it read %.2f MB; %.2f MB waited in its SSH window (2 MB): %s\n",
			mb(sent), mb(r), mb(sent-r), state)
	}
	return nil
}

// stallRedraws: full redraws at 600x300 a stalled client asks for, enough
// to use up its SSH window (2 MB) several times over.
const stallRedraws = 60

// window is the SSH channel window x/crypto/ssh's client gives the server
// (what it may send unread); packet its largest data packet.
const window, packet = 2 << 20, 32 << 10

func received(cs []*client) int64 {
	var n int64
	for _, c := range cs {
		n += c.tm.Received()
	}
	return n
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(p * float64(len(d)))
	return d[min(i, len(d)-1)].Round(10 * time.Microsecond)
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// procSample is a process's CPU time and memory at one instant.
type procSample struct {
	at       time.Time
	cpuTicks int64 // utime + stime, in clock ticks
	rss, hwm int64 // bytes
	// waited is how long its threads waited for a CPU while runnable
	// (the sum of /proc/PID/task/*/schedstat's second field): time the
	// machine's other work took from it.
	waited time.Duration
}

// waitedPerSec is the time s's threads waited for a CPU per second since a.
func (s procSample) waitedPerSec(a procSample) time.Duration {
	return time.Duration(float64(s.waited-a.waited) / s.at.Sub(a.at).Seconds())
}

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat's times (100
// on every Linux this runs on).
const clockTicks = 100

func (s procSample) cpuSince(a procSample) float64 {
	return float64(s.cpuTicks-a.cpuTicks) / clockTicks / s.at.Sub(a.at).Seconds() * 100
}

func sample(pid int) (procSample, error) { return readProc(strconv.Itoa(pid)) }

func selfSample() (procSample, error) { return readProc("self") }

func readProc(pid string) (procSample, error) {
	s := procSample{at: time.Now()}
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return s, err
	}
	// The fields after the command (which is in parentheses and may hold
	// spaces): state is field 3, utime 14, stime 15.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return s, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return s, errors.New("unreadable /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.cpuTicks = ut + st
	tasks, _ := filepath.Glob("/proc/" + pid + "/task/*/schedstat")
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended
		}
		if f := strings.Fields(string(b)); len(f) >= 2 {
			ns, _ := strconv.ParseInt(f[1], 10, 64)
			s.waited += time.Duration(ns)
		}
	}
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return s, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			s.rss = kb << 10
		case "VmHWM":
			s.hwm = kb << 10
		}
	}
	return s, nil
}
