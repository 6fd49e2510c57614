package lb

import (
	"bufio"
	"io"
	"net"

	"github.com/valyala/fasthttp"
)

// switchProtocols joins client and upstream once fasthttp has sent the
// client the upstream's 101 answer (WebSocket): bytes then flow both ways
// untouched until either side closes.
func switchProtocols(ctx *fasthttp.RequestCtx, up *upConn, br *bufio.Reader, tr *Transport) {
	up.noDeadlines()
	ctx.Hijack(func(client net.Conn) {
		defer tr.putReader(br)
		defer up.Close()
		done := make(chan struct{}, 2)
		go func() { io.Copy(up.Conn, client); closeWrite(up.Conn); done <- struct{}{} }()
		go func() { io.Copy(client, br); closeWrite(client); done <- struct{}{} }() // br holds what came after the 101
		<-done
		<-done
	})
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
