package lb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Router picks the handler for a request from its host (as sent, port
// included; from the request URI when that is absolute) and its canonical
// path. nil answers 404.
type Router func(host, path string) *Handler

// Server serves HTTP/1.1 with fasthttp and hands each valid request to the
// Handler its Router picks. fasthttp parses and frames every message; the
// Server adds the checks a front door needs on top (validRequest), the
// timeouts, and the routing decision, made once per request on one
// canonical path whatever the method or protocol version.
type Server struct {
	// Router picks a handler. Required.
	Router Router
	// NotFound answers requests no route matches. Default: a short 404.
	NotFound func(ctx *fasthttp.RequestCtx)
	// ReadHeaderTimeout bounds reading a request head, from the connection's
	// first byte or a kept-alive request's first byte. Default 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a request body. Default 60s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response. Default 5m.
	WriteTimeout time.Duration
	// IdleTimeout closes client connections idle this long. Default 90s.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request head; a larger one gets a 431.
	// Default 64 KiB.
	MaxHeaderBytes int
	// MaxHeaderFields bounds the number of fields of a request head; more
	// get a 400, as HAProxy answers past its tune.http.maxhdr. Default 101,
	// HAProxy's.
	MaxHeaderFields int
	// Logger receives connection-level errors at debug level. Default: none.
	Logger *slog.Logger

	once     sync.Once
	srv      *fasthttp.Server
	mu       sync.Mutex // guards shutting and lns
	shutting atomic.Bool
	lns      []net.Listener
}

func (s *Server) init() *fasthttp.Server {
	s.once.Do(s.build)
	return s.srv
}

func (s *Server) build() {
	if s.ReadHeaderTimeout <= 0 {
		s.ReadHeaderTimeout = 10 * time.Second
	}
	if s.ReadTimeout <= 0 {
		s.ReadTimeout = 60 * time.Second
	}
	if s.WriteTimeout <= 0 {
		s.WriteTimeout = 5 * time.Minute
	}
	if s.IdleTimeout <= 0 {
		s.IdleTimeout = 90 * time.Second
	}
	if s.MaxHeaderBytes <= 0 {
		s.MaxHeaderBytes = 64 << 10
	}
	if s.MaxHeaderFields <= 0 {
		s.MaxHeaderFields = 101
	}
	if s.NotFound == nil {
		s.NotFound = func(ctx *fasthttp.RequestCtx) {
			plainError(ctx, "404 Not Found: no service for this host and path\n", fasthttp.StatusNotFound)
		}
	}
	logger := s.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	bodyTimeout := s.ReadTimeout
	s.srv = &fasthttp.Server{
		Handler: s.serve,
		// fasthttp parses a head in place, so its buffer is the head limit.
		ReadBufferSize: s.MaxHeaderBytes,
		// Until the head is complete: the head timeout. Then the body's.
		ReadTimeout: s.ReadHeaderTimeout,
		HeaderReceived: func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			return fasthttp.RequestConfig{ReadTimeout: bodyTimeout}
		},
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       s.IdleTimeout,
		StreamRequestBody: true, // uploads flow through, never held whole
		// Nor parsed: a multipart body is the application's, byte for byte.
		DisablePreParseMultipartForm: true,
		MaxRequestBodySize:           -1,
		DisableKeepalive:             false,
		CloseOnShutdown:              true,
		NoDefaultServerHeader:        true, // headers are the upstream's, as sent
		NoDefaultContentType:         true,
		// fasthttp always writes its own Date; a proxy may (RFC 9110 6.6.1).
		ErrorHandler: errorHandler,
		Logger:       fasthttpLogger{logger},
	}
}

// Serve accepts connections on ln until Shutdown or Close; then it returns
// http.ErrServerClosed, as net/http's servers do, also when Shutdown came
// first.
func (s *Server) Serve(ln net.Listener) error {
	srv := s.init()
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	err := srv.Serve(lingerListener{ln})
	if s.shutting.Load() {
		return http.ErrServerClosed
	}
	return err
}

// stop marks the server shut and closes its listeners: fasthttp closes
// only those it already serves, and Serve may not have started yet.
func (s *Server) stop() {
	s.mu.Lock()
	s.shutting.Store(true)
	for _, ln := range s.lns {
		ln.Close()
	}
	s.mu.Unlock()
}

// Shutdown stops accepting, lets in-flight requests finish until ctx ends,
// and closes idle connections.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	return closedOK(s.init().ShutdownWithContext(ctx))
}

// closedOK drops the error of fasthttp closing a listener stop closed.
func closedOK(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Close stops the server without waiting.
func (s *Server) Close() error {
	s.stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := closedOK(s.init().ShutdownWithContext(ctx))
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (s *Server) serve(ctx *fasthttp.RequestCtx) {
	host, path, absURI, err := validRequest(&ctx.Request.Header, s.MaxHeaderFields)
	if err != nil {
		code := fasthttp.StatusBadRequest
		if errors.Is(err, errVersion) {
			code = fasthttp.StatusHTTPVersionNotSupported
		}
		plainError(ctx, fasthttp.StatusMessage(code)+"\n", code)
		ctx.SetConnectionClose()
		return
	}
	h := s.Router(host, path)
	if h == nil {
		s.NotFound(ctx)
		return
	}
	if absURI != "" {
		// The target's authority replaces Host (RFC 9112 section 3.2.2):
		// the upstream sees the host the request was routed by.
		ctx.Request.Header.SetHost(host)
	}
	h.Serve(ctx, absURI, s.ReadTimeout)
}

// errorHandler answers what fasthttp could not parse.
func errorHandler(ctx *fasthttp.RequestCtx, err error) {
	code := fasthttp.StatusBadRequest
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &small) || errors.Is(err, fasthttp.ErrSmallReadBuffer):
		code = fasthttp.StatusRequestHeaderFieldsTooLarge
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		code = fasthttp.StatusRequestEntityTooLarge
	case errors.Is(err, fasthttp.ErrTimeout) || isTimeout(err):
		code = fasthttp.StatusRequestTimeout
	}
	plainError(ctx, fasthttp.StatusMessage(code)+"\n", code)
	ctx.SetConnectionClose()
}

type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	f.l.Debug(fmt.Sprintf(format, args...))
}

// lingerListener's connections close politely: fasthttp closes right after
// an error answer (a 400, a 431 for too large a head) while the client may
// still be sending, and closing a socket with unread bytes sends a reset
// that can destroy the answer before the client reads it. So Close
// half-closes, then drains for a moment in the background before closing,
// as net/http does.
type lingerListener struct{ net.Listener }

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		return lingerConn{tc}, nil
	}
	return c, err
}

type lingerConn struct{ *net.TCPConn }

func (c lingerConn) Close() error {
	if err := c.CloseWrite(); err != nil {
		return c.TCPConn.Close()
	}
	go func() {
		c.SetReadDeadline(time.Now().Add(time.Second))
		io.CopyN(io.Discard, c.TCPConn, 256<<10)
		c.TCPConn.Close()
	}()
	return nil
}
