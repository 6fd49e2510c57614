package lb

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzFastRequest checks the fast path's request parser against net/http:
// whatever it accepts, net/http must accept with the same method, target
// and host, and whatever it consumed must be replayable for the fallback.
func FuzzFastRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"HEAD /x?y=1 HTTP/1.1\r\nHost: a:80\r\nX-Forwarded-For: 1.2.3.4\r\nConnection: close\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.1\r\n Host: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx",
		"GET / HTTP/1.1\nHost: a\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var r fastReq
		br := bufio.NewReaderSize(strings.NewReader(s), 4096)
		ok, err := r.read(br, 64<<10)
		rest, _ := io.ReadAll(br)
		if !bytes.Equal(append(append([]byte(nil), r.head...), rest...), []byte(s)) {
			t.Fatalf("head+rest does not replay the input")
		}
		if err != nil || !ok {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(r.head)))
		if err != nil {
			t.Fatalf("fast path accepted what net/http refuses (%v):\n%q", err, r.head)
		}
		if req.Method != r.str(r.method) || req.RequestURI != r.str(r.target) || req.Host != r.str(r.host) {
			t.Fatalf("disagreement: net/http %q %q %q, fast %q %q %q", req.Method, req.RequestURI, req.Host,
				r.str(r.method), r.str(r.target), r.str(r.host))
		}
		if req.ContentLength > 0 || len(req.TransferEncoding) > 0 {
			t.Fatalf("fast path accepted a request with a body: %q", r.head)
		}
	})
}

func BenchmarkFastPath(b *testing.B) {
	s := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "The API service is running...\n")
	})}
	ln := mustListen(b)
	go s.Serve(ln)
	defer s.Close()
	url := startFastB(b, &Handler{Pool: NewPool(ln.Addr().String())})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
