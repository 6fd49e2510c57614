package lb

import (
	"net"
	"net/http"
	"time"
)

// TransportConfig holds the timeouts of the connections to upstreams.
type TransportConfig struct {
	// DialTimeout bounds connecting to an upstream. Default 5s.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for an upstream's response
	// headers after the request was sent. Default 60s.
	ResponseHeaderTimeout time.Duration
	// IdleConnTimeout closes kept-alive upstream connections idle this long.
	// Default 90s.
	IdleConnTimeout time.Duration
	// MaxIdleConnsPerHost is the keep-alive pool size per upstream. Default 1024.
	MaxIdleConnsPerHost int
}

func (c TransportConfig) withDefaults() TransportConfig {
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.ResponseHeaderTimeout <= 0 {
		c.ResponseHeaderTimeout = 60 * time.Second
	}
	if c.IdleConnTimeout <= 0 {
		c.IdleConnTimeout = 90 * time.Second
	}
	if c.MaxIdleConnsPerHost <= 0 {
		c.MaxIdleConnsPerHost = 1024
	}
	return c
}

// NewTransport returns an HTTP/1.1 transport tuned for proxying: a large
// keep-alive pool per upstream (a proxy talks to few hosts, many times), no
// transparent compression (bodies pass through untouched) and no proxy from
// the environment.
func NewTransport(c TransportConfig) *http.Transport {
	c = c.withDefaults()
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: c.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   c.MaxIdleConnsPerHost,
		IdleConnTimeout:       c.IdleConnTimeout,
		ResponseHeaderTimeout: c.ResponseHeaderTimeout,
		DisableCompression:    true,
		ExpectContinueTimeout: time.Second,
		WriteBufferSize:       16 << 10,
		ReadBufferSize:        16 << 10,
	}
}
