package feedtest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// WSServer is a local websocket server (127.0.0.1) whose handler runs once
// per accepted connection.
type WSServer struct {
	// URL is the server's base address, "ws://127.0.0.1:port".
	URL string

	srv     *httptest.Server
	ln      *switchListener
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []*WSConn
	changed chan struct{}
	closed  bool
}

// WSConn is one accepted connection, as the handler sees it.
type WSConn struct {
	*websocket.Conn
	// Request is the upgrade request (path and query: the streams asked for).
	Request *http.Request
	// N is the connection's number on its server, from 1.
	N int
}

// NewWSServer starts a server; handler runs for every connection with a
// context that ends when the server closes or the client goes away. When
// handler returns, the connection is closed normally. The server closes
// at the end of the test (or on Close), waiting for every handler.
func NewWSServer(t testing.TB, handler func(ctx context.Context, c *WSConn)) *WSServer {
	t.Helper()
	s := StartWSServer(handler)
	t.Cleanup(s.Close)
	return s
}

// StartWSServer is NewWSServer for a program (internal/firehose): the
// caller closes the server.
func StartWSServer(handler func(ctx context.Context, c *WSConn)) *WSServer {
	s := &WSServer{changed: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			http.Error(w, "server closing", http.StatusServiceUnavailable)
			return
		}
		s.wg.Add(1)
		s.mu.Unlock()
		defer s.wg.Done()
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		c.SetReadLimit(1 << 20)
		ctx, cancel := context.WithCancel(s.ctx)
		defer cancel()
		s.mu.Lock()
		wc := &WSConn{Conn: c, Request: r, N: len(s.conns) + 1}
		s.conns = append(s.conns, wc)
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		defer c.CloseNow()
		handler(ctx, wc)
		c.Close(websocket.StatusNormalClosure, "")
	}))
	s.ln = &switchListener{cur: s.srv.Listener, addr: s.srv.Listener.Addr(), changed: make(chan struct{})}
	s.srv.Listener = s.ln
	s.srv.Start()
	s.URL = "ws" + strings.TrimPrefix(s.srv.URL, "http")
	return s
}

// Close stops the server: every handler's context ends, every connection is
// dropped, and Close waits for the handlers to return.
func (s *WSServer) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := s.conns
	s.mu.Unlock()
	s.cancel()
	for _, c := range conns {
		c.CloseNow()
	}
	s.srv.Close()
	s.wg.Wait()
}

// Down takes the server off the network, as an outage does: its port
// refuses connections and every open connection is cut (no closing
// handshake). Up brings it back on the same address.
func (s *WSServer) Down() {
	s.ln.down()
	for _, c := range s.Conns() {
		c.CloseNow()
	}
}

// Up listens again on the server's address after Down.
func (s *WSServer) Up() error { return s.ln.up() }

// Conns is the connections accepted so far.
func (s *WSServer) Conns() []*WSConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*WSConn(nil), s.conns...)
}

// WaitConns waits until at least n connections were accepted.
func (s *WSServer) WaitConns(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok, ch := len(s.conns) >= n, s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// Streams is the combined-stream list the client asked for in the URL
// (?streams=a/b/c).
func (c *WSConn) Streams() []string {
	q, _ := url.ParseQuery(c.Request.URL.RawQuery)
	v := q.Get("streams")
	if v == "" {
		return nil
	}
	return strings.Split(v, "/")
}

// Send writes one text frame.
func (c *WSConn) Send(ctx context.Context, frame []byte) error {
	return c.Write(ctx, websocket.MessageText, frame)
}

// SendAll writes the frames in order.
func (c *WSConn) SendAll(ctx context.Context, frames [][]byte) error {
	for _, f := range frames {
		if err := c.Send(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// SendBad writes every frame (e.g. BadFrames) in order.
func (c *WSConn) SendBad(ctx context.Context, frames []NamedFrame) error {
	for _, f := range frames {
		if err := c.Send(ctx, f.Frame); err != nil {
			return err
		}
	}
	return nil
}

// Receive reads one message from the client (a subscribe request).
func (c *WSConn) Receive(ctx context.Context) ([]byte, error) {
	_, b, err := c.Read(ctx)
	return b, err
}

// Stall keeps the socket open without sending anything (answering pings
// and discarding client messages) until ctx ends or the client leaves.
func (c *WSConn) Stall(ctx context.Context) {
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return
		}
	}
}

// Drop cuts the TCP connection without a closing handshake.
func (c *WSConn) Drop() { c.CloseNow() }

// CloseWith closes with a status code and reason.
func (c *WSConn) CloseWith(code websocket.StatusCode, reason string) error {
	err := c.Close(code, reason)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// switchListener is the server's listener, which Down closes (the port
// refuses connections) and Up opens again on the same address, while the
// HTTP server keeps serving through it.
type switchListener struct {
	mu      sync.Mutex
	cur     net.Listener // nil while down
	addr    net.Addr
	closed  bool
	changed chan struct{} // closed and replaced on every change
}

func (l *switchListener) signalLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *switchListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		cur, closed, ch := l.cur, l.closed, l.changed
		l.mu.Unlock()
		if closed {
			return nil, net.ErrClosed
		}
		if cur == nil {
			<-ch
			continue
		}
		c, err := cur.Accept()
		if err == nil {
			return c, nil
		}
		l.mu.Lock()
		replaced := l.cur != cur || l.closed
		l.mu.Unlock()
		if !replaced {
			return nil, err
		}
	}
}

func (l *switchListener) down() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != nil {
		l.cur.Close()
		l.cur = nil
		l.signalLocked()
	}
}

func (l *switchListener) up() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != nil || l.closed {
		return nil
	}
	ln, err := net.Listen("tcp", l.addr.String())
	if err != nil {
		return err
	}
	l.cur = ln
	l.signalLocked()
	return nil
}

func (l *switchListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var err error
	if l.cur != nil {
		err = l.cur.Close()
		l.cur = nil
	}
	l.signalLocked()
	return err
}

func (l *switchListener) Addr() net.Addr { return l.addr }
