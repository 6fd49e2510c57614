package lb

import (
	"bytes"
	"net"
	"testing"
)

// BenchmarkServeKeepAlive forwards GETs, one after another on one kept-alive
// client connection, through a Server to a raw backend that answers from
// memory. Client and backend allocate nothing per request, so -benchmem
// gives what a request costs the proxy in allocations; the time is
// loopback's and the machine's, not a figure to compare with HAProxy.
func BenchmarkServeKeepAlive(b *testing.B) {
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 30\r\n\r\nThe API service is running...\n")
	bl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer bl.Close()
	go func() {
		for {
			c, err := bl.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				var tail [3]byte // the end of the last read, for a head end split across reads
				for {
					n, err := c.Read(buf[3:])
					if err != nil {
						return
					}
					copy(buf, tail[:])
					heads := bytes.Count(buf[:n+3], []byte("\r\n\r\n"))
					copy(tail[:], buf[n:n+3])
					for range heads {
						if _, err := c.Write(answer); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	h := &Handler{Pool: NewPool(bl.Addr().String())}
	s := &Server{Router: func(string, string) *Handler { return h }}
	fl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(fl)
	defer s.Close()
	c, err := net.Dial("tcp", fl.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := []byte("GET / HTTP/1.1\r\nHost: bench.test\r\nUser-Agent: bench\r\n\r\n")
	end := []byte("running...\n")
	buf := make([]byte, 0, 4096)
	do := func() {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		buf = buf[:0]
		for !bytes.HasSuffix(buf, end) {
			n, err := c.Read(buf[len(buf):cap(buf)])
			if err != nil {
				b.Fatal(err)
			}
			buf = buf[:len(buf)+n]
		}
	}
	for range 100 { // warm the pools
		do()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		do()
	}
}
