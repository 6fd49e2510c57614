package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// HTTP/1.1 messages as bytes, read leniently on both sides (the test
// client and the scripted backends) so that whatever a target sends can be
// looked at, malformed or not.

// field is one header or trailer line as sent.
type field struct{ name, value string }

type fields []field

// values returns the values of every line named name (any case).
func (fs fields) values(name string) []string {
	var out []string
	for _, f := range fs {
		if strings.EqualFold(f.name, name) {
			out = append(out, f.value)
		}
	}
	return out
}

func (fs fields) get(name string) string {
	if v := fs.values(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (fs fields) has(name string) bool { return len(fs.values(name)) > 0 }

// readHead reads a message head through its empty line, as it came; bare
// LF line ends are accepted so that a test can see them.
func readHead(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		switch {
		case err != nil:
			return b.String(), err
		case b.Len() > 1<<20:
			return b.String(), errors.New("head over 1 MiB")
		case line == "\r\n" || line == "\n":
			return b.String(), nil
		}
	}
}

// splitHead returns a head's first line and its fields.
func splitHead(head string) (string, fields) {
	lines := strings.Split(strings.TrimRight(head, "\r\n"), "\n")
	var fs fields
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(strings.TrimSuffix(l, "\r"), ":")
		fs = append(fs, field{name, strings.Trim(value, " \t")})
	}
	return strings.TrimSuffix(lines[0], "\r"), fs
}

// Body framings (RFC 9112 section 6.3).
const (
	noBody     = "none"
	byLength   = "content-length"
	byChunks   = "chunked"
	untilClose = "close"
	badFraming = "invalid"
)

// framing reads a message's framing from its fields.
func framing(fs fields, response bool) (string, int64) {
	if te := fs.values("Transfer-Encoding"); len(te) > 0 {
		codings := strings.Split(strings.Join(te, ","), ",")
		if strings.EqualFold(strings.TrimSpace(codings[len(codings)-1]), "chunked") {
			return byChunks, -1
		}
		if response {
			return untilClose, -1
		}
		return badFraming, -1
	}
	if cl := fs.values("Content-Length"); len(cl) > 0 {
		n, err := strconv.ParseInt(cl[0], 10, 64)
		for _, v := range cl {
			if v != cl[0] || err != nil || strings.TrimLeft(v, "0123456789") != "" {
				return badFraming, -1
			}
		}
		return byLength, n
	}
	if response {
		return untilClose, -1
	}
	return noBody, 0
}

// readBody copies a body framed as kind to w and returns its trailer.
func readBody(br *bufio.Reader, kind string, n int64, w io.Writer) (fields, error) {
	switch kind {
	case byLength:
		_, err := io.CopyN(w, br, n)
		return nil, err
	case byChunks:
		if _, err := io.Copy(w, httputil.NewChunkedReader(br)); err != nil {
			return nil, err
		}
		head, err := readHead(br) // the trailer section: fields, then an empty line
		_, trailer := splitHead("\r\n" + head)
		return trailer, err
	case untilClose:
		_, err := io.Copy(w, br)
		return nil, err
	case badFraming:
		return nil, errors.New("invalid framing")
	}
	return nil, nil
}

// response is a response as the client read it.
type response struct {
	status  int // -1 when the status line is not one
	head    string
	fields  fields
	body    []byte // chunked framing removed
	trailer fields
	framing string
	err     error // why the body did not end where its framing said
}

func (r *response) String() string {
	s := fmt.Sprintf("%d (%s, %d body bytes", r.status, r.framing, len(r.body))
	if r.err != nil {
		s += ", incomplete: " + r.err.Error()
	}
	return s + ")"
}

// client is a raw TCP client of a target that keeps every byte it got.
type client struct {
	conn    net.Conn
	br      *bufio.Reader
	raw     *capped       // the first MiB received
	timeout time.Duration // for each read or write; default ioTimeout
}

// ioTimeout bounds each read or write of a client: a target that neither
// answers nor closes within it has lost the answer.
const ioTimeout = 5 * time.Second

// dial connects to a target; the test stops if it cannot.
func dial(t *testing.T, addr string) *client {
	t.Helper()
	cl, err := connect(t, addr)
	if err != nil {
		t.Fatalf("connect to the target: %v", err)
	}
	return cl
}

// connect connects to a target, from any goroutine; the connection closes
// when the test ends.
func connect(t *testing.T, addr string) (*client, error) {
	conn, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	raw := &capped{}
	return &client{conn: conn, br: bufio.NewReaderSize(io.TeeReader(conn, raw), 64<<10), raw: raw, timeout: ioTimeout}, nil
}

// capped keeps the first MiB written to it and drops the rest.
type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	c.Buffer.Write(p[:min(len(p), max(0, 1<<20-c.Len()))])
	return len(p), nil
}

func (cl *client) send(s string) error {
	cl.conn.SetWriteDeadline(time.Now().Add(cl.timeout))
	_, err := io.WriteString(cl.conn, s)
	return err
}

// read reads one response to a request of method; the error says that no
// response head came (io.EOF: the connection closed with nothing sent).
func (cl *client) read(method string) (*response, error) {
	var body bytes.Buffer
	r, err := cl.readTo(method, &body)
	if r != nil {
		r.body = body.Bytes()
	}
	return r, err
}

// readTo reads a response like read, copying its body to w.
func (cl *client) readTo(method string, w io.Writer) (*response, error) {
	cl.conn.SetReadDeadline(time.Now().Add(cl.timeout))
	head, err := readHead(cl.br)
	if err != nil {
		if head == "" && errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("response head %.200q: %w", head, err)
	}
	r := &response{head: head, status: -1}
	line, fs := splitHead(head)
	r.fields = fs
	if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[0], "HTTP/1.") {
		if n, err := strconv.Atoi(f[1]); err == nil {
			r.status = n
		}
	}
	kind, n := framing(fs, true)
	if method == "HEAD" || r.status/100 == 1 || r.status == 204 || r.status == 304 {
		kind = noBody
	}
	r.framing = kind
	r.trailer, r.err = readBody(cl.br, kind, n, w)
	return r, nil
}

func (cl *client) do(req, method string) (*response, error) {
	if err := cl.send(req); err != nil {
		return nil, err
	}
	return cl.read(method)
}

// closedWithin reports whether the target closes the connection within d,
// and how long that took from since.
func (cl *client) closedWithin(d time.Duration, since time.Time) (bool, time.Duration) {
	cl.conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, cl.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, time.Since(since)
	}
	return true, time.Since(since)
}

var ids atomic.Int64

// newID returns a request id unique in the run.
func newID() string { return "r" + strconv.FormatInt(ids.Add(1), 10) }

// request builds a request head: Host first, then the given lines.
func request(method, target string, lines ...string) string {
	s := method + " " + target + " HTTP/1.1\r\nHost: conformance.test\r\n"
	for _, l := range lines {
		s += l + "\r\n"
	}
	return s + "\r\n"
}

// echo asks for the default answer: 200 with body "id=<id>".
func echo(id string) string { return request("GET", "/echo?id="+id) }

// echoes sends an echo request on cl: "" when the answer is its own,
// otherwise what came instead.
func echoes(cl *client) string {
	id := newID()
	r, err := cl.do(echo(id), "GET")
	switch {
	case err != nil:
		return err.Error()
	case r.status != 200 || string(r.body) != "id="+id || r.err != nil:
		return fmt.Sprintf("%s body %.40q instead of 200 %q", r, r.body, "id="+id)
	}
	return ""
}

// nextIsOwn sends one more request on a connection that carried one: it
// must get its own answer, or find the connection closed; never what was
// left of the previous response.
func nextIsOwn(c *check, cl *client, after string) {
	c.t.Helper()
	id := newID()
	r, err := cl.do(echo(id), "GET")
	switch {
	case errors.Is(err, io.EOF) || isReset(err):
		c.note("connection closed after it")
	case err != nil:
		c.fail("the next request on the connection after %s: %v", after, err)
	case r.status != 200 || string(r.body) != "id="+id:
		c.fail("the next request on the connection after %s got %s body %.80q, not its own answer: the client could not find where %s ended",
			after, r, r.body, after)
	}
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}
