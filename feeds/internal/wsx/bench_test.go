package wsx

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchFrame is a normal-sized frame (a Binance aggTrade, 230 bytes).
var benchFrame = []byte(`{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1748865600123,"s":"BTCUSDT","a":3212345678,"p":"105234.56000000","q":"0.01230000","f":4412345678,"l":4412345679,"T":1748865600120,"m":false,"M":true}}`)

// rawFrameServer answers the websocket handshake itself and then writes a
// prebuilt block of 1,000 text frames over and over, so the server's side
// costs one write per 1,000 frames and allocates nothing: what the
// benchmark measures is the client's read path.
func rawFrameServer(tb testing.TB, frame []byte) *httptest.Server {
	var one []byte
	one = append(one, 0x81, 126, byte(len(frame)>>8), byte(len(frame)))
	one = append(one, frame...)
	block := make([]byte, 0, 1000*len(one))
	for range 1000 {
		block = append(block, one...)
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n")
		if rw.Flush() != nil {
			return
		}
		w2 := bufio.NewWriterSize(conn, 0)
		for {
			if _, err := w2.Write(block); err != nil {
				return
			}
		}
	}))
}

// BenchmarkReadMessage reads normal frames through ReadMessage: the path
// every frame takes. The frame limit must not make it slower or allocate.
func BenchmarkReadMessage(b *testing.B) {
	srv := rawFrameServer(b, benchFrame)
	defer srv.Close()
	ctx := context.Background()
	conn, err := Dial(ctx, "binance", "ws"+strings.TrimPrefix(srv.URL, "http"), srv.Client())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.CloseNow()
	buf := make([]byte, 0, 4096)
	b.SetBytes(int64(len(benchFrame)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		_, buf, err = ReadMessage(ctx, conn, buf, DefaultFrameLimit)
		if err != nil || len(buf) != len(benchFrame) {
			b.Fatalf("%v, %d bytes", err, len(buf))
		}
	}
}
