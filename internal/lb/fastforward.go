package lb

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"time"
)

// fastResp is a parsed upstream response head; fields point into head.
type fastResp struct {
	head    []byte
	status  int
	reason  span // status line from the code on, CRLF included
	lines   []span
	length  int64 // -1 when unknown
	clLine  span  // the Content-Length line, sent unless chunked
	chunked bool
	close   bool // upstream connection not reusable
	http10  bool
	dropped [][]byte // header names listed in Connection
}

var errBadResponse = errors.New("malformed upstream response")

// read parses a response head, skipping (and relaying through relay) any
// 1xx interim responses.
func (r *fastResp) read(br *bufio.Reader, relay *bufio.Writer) error {
	for {
		if err := r.readOne(br); err != nil {
			return err
		}
		if r.status >= 200 {
			return nil
		}
		if r.status == 101 {
			return errBadResponse // never asked for: the fast path sends no Upgrade
		}
		relay.Write(r.head) // 100 Continue, 103 Early Hints
	}
}

func (r *fastResp) readOne(br *bufio.Reader) error {
	*r = fastResp{head: r.head[:0], lines: r.lines[:0], dropped: r.dropped[:0], length: -1}
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		start := len(r.head)
		r.head = append(r.head, line...)
		if err != nil {
			if err == bufio.ErrBufferFull {
				return errBadResponse
			}
			if first && start == 0 && len(line) == 0 {
				return err // nothing read: the connection was closed or reset
			}
			return errBadResponse
		}
		if len(r.head) > 64<<10 || len(r.lines) > 200 {
			return errBadResponse
		}
		end := len(r.head)
		l := r.head[start:end]
		n := len(l) - 1
		if n > 0 && l[n-1] == '\r' {
			n--
		}
		l = l[:n] // without CRLF
		if first {
			// HTTP/1.x SP 3DIGIT [SP reason]
			if len(l) < 12 || !bytes.HasPrefix(l, []byte("HTTP/1.")) || l[8] != ' ' {
				return errBadResponse
			}
			code, err := strconv.Atoi(string(l[9:12]))
			if err != nil || code < 100 || code > 999 || len(l) > 12 && l[12] != ' ' {
				return errBadResponse
			}
			r.status = code
			r.http10 = l[7] == '0'
			r.close = r.http10
			r.reason = span{start + 9, end}
			continue
		}
		if len(l) == 0 {
			r.finish()
			return nil
		}
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 || l[0] == ' ' || l[0] == '\t' {
			return errBadResponse
		}
		name := l[:colon]
		val := bytes.TrimSpace(l[colon+1:])
		switch {
		case equalFold(name, "content-length"):
			v, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil || v < 0 || r.length >= 0 && r.length != v {
				return errBadResponse
			}
			r.length = v
			r.clLine = span{start, end}
		case equalFold(name, "transfer-encoding"):
			if equalFold(val, "chunked") {
				r.chunked = true
				r.lines = append(r.lines, span{start, end})
			} else {
				r.close = true // other codings: the body ends with the connection
				r.lines = append(r.lines, span{start, end})
			}
		case equalFold(name, "connection"):
			for _, tok := range bytes.Split(val, []byte{','}) {
				tok = bytes.TrimSpace(tok)
				switch {
				case equalFold(tok, "close"):
					r.close = true
				case equalFold(tok, "keep-alive"):
					if r.http10 {
						r.close = false
					}
				case len(tok) > 0:
					r.dropped = append(r.dropped, tok)
				}
			}
		case equalFold(name, "keep-alive"), equalFold(name, "proxy-connection"), equalFold(name, "upgrade"),
			equalFold(name, "te"), equalFold(name, "proxy-authenticate"):
		default:
			r.lines = append(r.lines, span{start, end})
		}
	}
}

// finish applies the framing rules once all headers are known.
func (r *fastResp) finish() {
	if r.chunked {
		r.length = -1 // Transfer-Encoding wins over Content-Length
	}
	if len(r.dropped) > 0 {
		kept := r.lines[:0]
		for _, s := range r.lines {
			l := r.head[s.start:s.end]
			name := l[:bytes.IndexByte(l, ':')]
			drop := false
			for _, d := range r.dropped {
				if bytes.EqualFold(name, d) {
					drop = true
				}
			}
			if !drop {
				kept = append(kept, s)
			}
		}
		r.lines = kept
	}
}

// bodyless reports a response that has no body whatever its headers say.
func (r *fastResp) bodyless(head bool) bool {
	return head || r.status == 204 || r.status == 304 || r.status < 200
}

// forward sends the parsed request to an upstream of h and relays the
// answer. It returns false when the client connection must be closed.
func (c *fconn) forward(h *Handler) bool {
	start := time.Now()
	s := c.s
	ups := h.Pool.Upstreams()
	sel := h.Selector
	if sel == nil {
		sel = defaultSelector
	}
	res := Result{}
	defer func() {
		if h.Done != nil {
			res.Duration = time.Since(start)
			h.Done(c.info(), &res)
		}
	}()
	u := sel.Select(ups, c.remote)
	if u == nil {
		res.Status = 503
		return c.plain(503, "Service Unavailable", "503 Service Unavailable: no backend available\n")
	}
	maxTries := h.Retry.MaxTries
	if maxTries <= 0 {
		maxTries = 3
	}
	maxTries = min(maxTries, len(ups))
	retryFor := h.Retry.Duration
	if retryFor <= 0 {
		retryFor = 5 * time.Second
	}

	var tried []*Upstream
	var uc *upConn
	fresh := false // retrying a stale kept-alive connection on a new one
	for {
		if !fresh {
			res.Tries++
			u.requests.Add(1)
			u.active.Add(1)
		}
		res.Upstream = u.Addr
		var reused bool
		var err error
		if fresh {
			uc, err = u.dialConn(&s.Upstream)
		} else {
			uc, reused, err = u.getConn(&s.Upstream)
		}
		fresh = false
		c.resp.head = c.resp.head[:0]
		if err == nil {
			c.writeRequest(uc.bw, h.TrustForwarded)
			if err = uc.bw.Flush(); err == nil {
				uc.rd.set(time.Now(), s.Upstream.ResponseHeaderTimeout, uc.SetReadDeadline)
				err = c.resp.read(uc.br, c.bw)
			}
			if err != nil {
				uc.close()
				if reused && len(c.resp.head) == 0 && !isTimeout(err) {
					fresh = true // the upstream closed an idle connection: not its fault
					continue
				}
			}
		}
		if err == nil && (c.resp.status == 502 || c.resp.status == 503) {
			h.Passive.fail(h.Pool, u)
			if next := h.next(ups, c.remote, &tried, u, res.Tries, maxTries, start, retryFor); next != nil {
				if c.discardBody(uc) {
					u.putConn(uc, s.Upstream.MaxIdleConnsPerHost)
				} else {
					uc.close()
				}
				u.errors.Add(1)
				u.active.Add(-1)
				u = next
				continue
			}
		}
		if err != nil {
			u.active.Add(-1)
			u.errors.Add(1)
			u.latency.Observe(time.Since(start))
			h.Passive.fail(h.Pool, u)
			if next := h.next(ups, c.remote, &tried, u, res.Tries, maxTries, start, retryFor); next != nil {
				u = next
				continue
			}
			if isTimeout(err) {
				res.Status = 504
				return c.plain(504, "Gateway Timeout", "504 Gateway Timeout\n")
			}
			res.Status = 502
			return c.plain(502, "Bad Gateway", "502 Bad Gateway\n")
		}
		break
	}
	defer u.active.Add(-1)

	r := &c.resp
	res.Status = r.status
	bodyless := r.bodyless(c.req.isHead)
	untilClose := !bodyless && !r.chunked && r.length < 0
	closeClient := c.req.close || untilClose
	bw := c.bw
	bw.WriteString("HTTP/1.1 ")
	bw.Write(r.head[r.reason.start:r.reason.end])
	for _, sp := range r.lines {
		bw.Write(r.head[sp.start:sp.end])
	}
	if r.length >= 0 {
		bw.Write(r.head[r.clLine.start:r.clLine.end])
	}
	if closeClient {
		bw.WriteString("Connection: close\r\n")
	}
	bw.WriteString("\r\n")

	var n int64
	var err error
	switch {
	case bodyless:
	case r.chunked:
		n, err = c.copyChunked(uc)
	case r.length >= 0:
		n, err = c.copyN(uc, r.length)
	default:
		n, err = c.copyUntilEOF(uc)
		r.close = true
	}
	res.Bytes = n
	u.latency.Observe(time.Since(start))
	if err != nil {
		// Part of the answer is gone: close so the client sees a broken
		// response, never a short one that looks complete.
		uc.close()
		if !errors.Is(err, errClientWrite) {
			u.errors.Add(1)
		}
		return false
	}
	if r.close {
		uc.close()
	} else {
		u.putConn(uc, s.Upstream.MaxIdleConnsPerHost)
	}
	if err := bw.Flush(); err != nil {
		return false
	}
	return !closeClient
}

// writeRequest writes the request head for an upstream: the client's
// lines as they came, minus hop-by-hop ones, plus forwarding headers.
func (c *fconn) writeRequest(w *bufio.Writer, trust bool) {
	r := &c.req
	w.Write(r.head[r.method.start:r.method.end])
	w.WriteByte(' ')
	w.Write(r.head[r.target.start:r.target.end])
	w.WriteString(" HTTP/1.1\r\n")
	for _, s := range r.lines {
		w.Write(r.head[s.start:s.end])
	}
	w.WriteString("X-Forwarded-For: ")
	for _, s := range r.xff {
		w.Write(r.head[s.start:s.end])
		w.WriteString(", ")
	}
	w.WriteString(c.ip)
	if trust && len(r.trusted) > 0 {
		w.WriteString("\r\n")
		for _, s := range r.trusted {
			w.Write(r.head[s.start:s.end])
		}
	} else {
		w.WriteString("\r\nX-Real-Ip: ")
		w.WriteString(c.ip)
		w.WriteString("\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: ")
		w.Write(r.head[r.host.start:r.host.end])
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
}

// plain writes a short plain-text answer of the proxy's own.
func (c *fconn) plain(code int, text, body string) bool {
	w := c.bw
	w.WriteString("HTTP/1.1 ")
	w.WriteString(strconv.Itoa(code))
	w.WriteByte(' ')
	w.WriteString(text)
	w.WriteString("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ")
	w.WriteString(strconv.Itoa(len(body)))
	if c.req.close {
		w.WriteString("\r\nConnection: close")
	}
	w.WriteString("\r\n\r\n")
	if !c.req.isHead {
		w.WriteString(body)
	}
	return w.Flush() == nil && !c.req.close
}

func (c *fconn) info() *RequestInfo {
	r := &c.req
	return &RequestInfo{RemoteAddr: c.remote, Method: r.str(r.method), Host: r.str(r.host), URI: r.str(r.target),
		Proto: "HTTP/1.1", Referer: r.str(r.referer), UserAgent: r.str(r.ua)}
}

// fill makes sure the upstream reader has data, flushing what the client
// is owed first so that streamed answers are not held back, and extends
// the read deadline (a timeout between reads, like nginx's).
func (c *fconn) fill(uc *upConn) error {
	if uc.br.Buffered() > 0 {
		return nil
	}
	if c.bw.Buffered() > 0 {
		if err := c.bw.Flush(); err != nil {
			return errClientWrite
		}
	}
	uc.rd.set(time.Now(), c.s.Upstream.ResponseHeaderTimeout, uc.SetReadDeadline)
	_, err := uc.br.Peek(1)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (c *fconn) copyN(uc *upConn, n int64) (int64, error) {
	var done int64
	for done < n {
		if err := c.fill(uc); err != nil {
			return done, err
		}
		b, _ := uc.br.Peek(int(min(int64(uc.br.Buffered()), n-done)))
		w, err := c.bw.Write(b)
		uc.br.Discard(w)
		done += int64(w)
		if err != nil {
			return done, errClientWrite
		}
	}
	return done, nil
}

func (c *fconn) copyUntilEOF(uc *upConn) (int64, error) {
	var done int64
	for {
		if err := c.fill(uc); err != nil {
			if err == io.ErrUnexpectedEOF {
				return done, nil
			}
			return done, err
		}
		b, _ := uc.br.Peek(uc.br.Buffered())
		w, err := c.bw.Write(b)
		uc.br.Discard(w)
		done += int64(w)
		if err != nil {
			return done, errClientWrite
		}
	}
}

// copyChunked relays a chunked body as it is, parsing only the chunk
// sizes to find its end.
func (c *fconn) copyChunked(uc *upConn) (int64, error) {
	var done int64
	for {
		if err := c.fill(uc); err != nil {
			return done, err
		}
		line, err := uc.br.ReadSlice('\n')
		if err != nil {
			return done, errBadResponse
		}
		size, ok := chunkSize(line)
		if !ok {
			return done, errBadResponse
		}
		if _, err := c.bw.Write(line); err != nil {
			return done, errClientWrite
		}
		if size == 0 {
			// trailers, then the final CRLF
			for {
				if err := c.fill(uc); err != nil {
					return done, err
				}
				t, err := uc.br.ReadSlice('\n')
				if err != nil {
					return done, errBadResponse
				}
				if _, err := c.bw.Write(t); err != nil {
					return done, errClientWrite
				}
				if len(t) <= 2 {
					return done, nil
				}
			}
		}
		n, err := c.copyN(uc, size+2) // data and its CRLF
		done += n - 2
		if err != nil {
			return done, err
		}
	}
}

func chunkSize(line []byte) (int64, bool) {
	var n int64
	digits := 0
	for _, ch := range line {
		var v byte
		switch {
		case ch >= '0' && ch <= '9':
			v = ch - '0'
		case ch >= 'a' && ch <= 'f':
			v = ch - 'a' + 10
		case ch >= 'A' && ch <= 'F':
			v = ch - 'A' + 10
		default:
			return n, digits > 0 && (ch == ';' || ch == '\r' || ch == ' ' || ch == '\t')
		}
		if digits++; digits > 15 {
			return 0, false
		}
		n = n<<4 | int64(v)
	}
	return 0, false
}

// discardBody reads a small error body so the connection can be reused.
func (c *fconn) discardBody(uc *upConn) bool {
	r := &c.resp
	if r.bodyless(c.req.isHead) {
		return !r.close
	}
	if r.chunked || r.length < 0 || r.length > 64<<10 || r.close {
		return false
	}
	_, err := uc.br.Discard(int(r.length))
	return err == nil
}
