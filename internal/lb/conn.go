package lb

import (
	"bufio"
	"net"
	"sync"
	"time"
)

// upConn is a kept-alive HTTP/1.1 connection to an upstream, used by the
// fast path. It is owned by one request at a time.
type upConn struct {
	net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	lastUsed time.Time
	rd       lazyDeadline
}

var (
	upReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}
	upWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8<<10) }}
)

// getConn returns an idle connection (reused=true) or dials a new one.
func (u *Upstream) getConn(tc *TransportConfig) (c *upConn, reused bool, err error) {
	now := time.Now()
	u.idleMu.Lock()
	for n := len(u.idle); n > 0; n = len(u.idle) {
		c = u.idle[n-1]
		u.idle[n-1] = nil
		u.idle = u.idle[:n-1]
		if now.Sub(c.lastUsed) < tc.IdleConnTimeout {
			u.idleMu.Unlock()
			return c, true, nil
		}
		c.close()
	}
	u.idleMu.Unlock()
	c, err = u.dialConn(tc)
	return c, false, err
}

// dialConn opens a new connection.
func (u *Upstream) dialConn(tc *TransportConfig) (*upConn, error) {
	d := net.Dialer{Timeout: tc.DialTimeout, KeepAlive: 30 * time.Second}
	conn, err := d.Dial("tcp", u.Addr)
	if err != nil {
		return nil, err
	}
	br := upReaders.Get().(*bufio.Reader)
	br.Reset(conn)
	bw := upWriters.Get().(*bufio.Writer)
	bw.Reset(conn)
	return &upConn{Conn: conn, br: br, bw: bw}, nil
}

// putConn keeps c for reuse, or closes it when the pool is full or the
// upstream left the pool.
func (u *Upstream) putConn(c *upConn, max int) {
	c.lastUsed = time.Now()
	u.idleMu.Lock()
	if u.removed || len(u.idle) >= max {
		u.idleMu.Unlock()
		c.close()
		return
	}
	u.idle = append(u.idle, c)
	u.idleMu.Unlock()
}

// closeIdle closes the kept-alive connections of an upstream that left its
// pool; connections in use are closed when they come back.
func (u *Upstream) closeIdle() {
	u.idleMu.Lock()
	idle := u.idle
	u.idle, u.removed = nil, true
	u.idleMu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

func (c *upConn) close() {
	c.Conn.Close()
	c.br.Reset(nil)
	upReaders.Put(c.br)
	c.bw.Reset(nil)
	upWriters.Put(c.bw)
	c.br, c.bw = nil, nil
}
