package lb

import (
	"bufio"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// switchProtocols joins client and upstream once fasthttp has sent the
// client the upstream's 101 answer (WebSocket): bytes then flow both ways
// untouched until either side closes, or until no byte went either way for
// TunnelTimeout.
func switchProtocols(ctx *fasthttp.RequestCtx, up *upConn, br *bufio.Reader, tr *Transport) {
	up.noDeadlines()
	idle := tr.cfg.TunnelTimeout
	ctx.Hijack(func(client net.Conn) {
		defer tr.putReader(br)
		defer up.Close()
		t := &tunnel{idle: idle, client: client, up: up.Conn}
		t.last.Store(time.Now().UnixNano())
		done := make(chan struct{}, 2)
		go func() { t.copy(up.Conn, client, client); closeWrite(up.Conn); done <- struct{}{} }()
		go func() { t.copy(client, br, up.Conn); closeWrite(client); done <- struct{}{} }() // br holds what came after the 101
		<-done
		<-done
	})
}

// tunnel is an upgraded connection pair. Its idle timeout counts bytes in
// either direction: a direction that is quiet while the other flows stays
// open.
type tunnel struct {
	idle       time.Duration
	client, up net.Conn
	last       atomic.Int64 // unix ns of the last byte either way
}

// copy copies src, read from conn, to dst until src ends, a side breaks,
// or the tunnel idles; then it closes both sides.
func (t *tunnel) copy(dst io.Writer, src io.Reader, conn net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		conn.SetReadDeadline(time.Now().Add(t.idle))
		n, err := src.Read(buf)
		if n > 0 {
			t.last.Store(time.Now().UnixNano())
			if _, werr := dst.Write(buf[:n]); werr != nil {
				t.close()
				return
			}
		}
		switch {
		case err == nil:
		case err == io.EOF:
			return // a half-close: the other direction may go on
		case isTimeout(err) && time.Since(time.Unix(0, t.last.Load())) < t.idle:
			// quiet this way, not the other: wait on
		default:
			t.close()
			return
		}
	}
}

func (t *tunnel) close() {
	t.client.Close()
	t.up.Close()
}

// closeWrite half-closes a TCP connection so the peer sees the end of the
// stream while its own direction keeps flowing.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}
